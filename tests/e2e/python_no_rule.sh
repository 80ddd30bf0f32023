#!/usr/bin/env bash
# Without the Python rule, a zip of the Python fixture keeps the warm __pycache__ pycs that were
# read but not the .py sources the import system only stat()ed: verify must catch that (exit 8)
# and name the missing .py files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare python
zip=$WORK/python/norule.zip
echo "== python: slimzip run --no-rule-python"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$zip" --no-rule-python -- "${FIXTURE_CMD[@]}"
check "slimzip run --no-rule-python exits 0 (exit $RC)" test "$RC" -eq 0
check "slimzip run --no-rule-python wrote $zip" test -s "$zip"
if [[ -s $zip ]]; then
	list=$(unzip -Z1 "$zip")
	npy=$(grep -c '\.py$' <<<"$list" || true)
	npyc=$(grep -c '\.pyc$' <<<"$list" || true)
	echo "zip: $npy .py files, $npyc .pyc files, $(tree_size "$TREE" | cut -d, -f1) in the tree"
	check "the zip holds the pycs that were read ($npyc)" test "$npyc" -gt 0
	check "the zip lacks yaml/__init__.py (only stat()ed with a warm pyc)" \
		bash -c '! grep -qxF yaml/__init__.py <<<"$1"' _ "$list"

	echo "== python: verify the rule-less zip"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$zip" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "verify exits 8 (EXIT_VERIFY_MISSING) (exit $RC)" test "$RC" -eq 8
	check "verify names a missing .py file (yaml/__init__.py)" \
		grep -qF yaml/__init__.py "$WORK/last.out" "$WORK/last.err"
	named=$(grep -ohE '[A-Za-z0-9_./-]+\.py\b' "$WORK/last.out" "$WORK/last.err" | sort -u | wc -l)
	check "verify names .py files ($named distinct)" test "$named" -gt 0
fi
e2e_finish
