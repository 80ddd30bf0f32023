#!/usr/bin/env bash
# Python fixture (Debian's yaml with its C extension, certifi data, lark grammars, unused
# packages): run -> zip -> extract -> same output; verify passes; verify catches a deleted data
# file and --fix repairs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

e2e_roundtrip python
# libyaml ships in the tree's lib/ (on LD_LIBRARY_PATH, as on Lambda): nothing from the host.
check "the report names no host package (the tree's own lib/libyaml-0.so.2 was used)" \
	/usr/bin/python3 -S -c '
import json, sys
p = json.load(open(sys.argv[1]))["host"]["packages"]
assert p == [], p
' "$WORK/python/report.json"
if [[ -s $ZIP ]]; then
	list=$(unzip -Z1 "$ZIP")
	for f in handler.py yaml/_yaml.cpython-311-x86_64-linux-gnu.so lib/libyaml-0.so.2 \
		certifi/cacert.pem lark/grammars/common.lark PyYAML-6.0.dist-info/METADATA; do
		check "the zip holds $f" grep -qxF "$f" <<<"$list"
	done
	for d in six.py idna/ chardet/ markupsafe/; do
		check "the zip holds nothing of the unused $d" \
			bash -c '! grep -q "^$1" <<<"$2"' _ "$d" "$list"
	done
	e2e_verify_catches python certifi/cacert.pem
fi
e2e_finish
