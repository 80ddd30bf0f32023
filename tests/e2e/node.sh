#!/usr/bin/env bash
# Node fixture (npm packages, two required through computed paths, two never loaded):
# run -> zip -> extract -> same output; verify passes; verify catches a deleted module that
# only a computed require() reaches and --fix repairs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

e2e_roundtrip node
if [[ -s $ZIP ]]; then
	list=$(unzip -Z1 "$ZIP")
	for f in index.js node_modules/dayjs/dayjs.min.js node_modules/dayjs/plugin/utc.js \
		node_modules/lodash/lodash.js node_modules/chalk/package.json; do
		check "the zip holds $f" grep -qxF "$f" <<<"$list"
	done
	for d in node_modules/moment/ node_modules/commander/lib/; do
		check "the zip holds no code of the unused $d" \
			bash -c '! grep -q "^$1.*\.js$" <<<"$2"' _ "$d" "$list"
	done
	e2e_verify_catches node node_modules/dayjs/plugin/utc.js
fi
e2e_finish
