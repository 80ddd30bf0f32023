#!/usr/bin/env bash
# Python fixture (Debian's yaml with its C extension, certifi data, lark grammars, unused
# packages): run -> zip -> extract -> same output; verify passes; verify catches a deleted data
# file and --fix repairs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

e2e_roundtrip python "$PYTHON_FIXTURE_HOST_OK"
check "the report names the host's libyaml-0.so.2 (the tree lacks it) as the one host package" \
	/usr/bin/python3 -S -c '
import json, sys
p = json.load(open(sys.argv[1]))["host"]["packages"]
assert [(x["package"], x["kind"]) for x in p] == [("libyaml-0.so.2", "shared-object")], p
' "$WORK/python/report.json"
if [[ -s $ZIP ]]; then
	list=$(unzip -Z1 "$ZIP")
	for f in handler.py yaml/_yaml.cpython-311-x86_64-linux-gnu.so certifi/cacert.pem \
		lark/grammars/common.lark PyYAML-6.0.dist-info/METADATA; do
		check "the zip holds $f" grep -qxF "$f" <<<"$list"
	done
	for d in six.py idna/ chardet/ markupsafe/; do
		check "the zip holds nothing of the unused $d" \
			bash -c '! grep -q "^$1" <<<"$2"' _ "$d" "$list"
	done
	e2e_verify_catches python certifi/cacert.pem
fi
e2e_finish
