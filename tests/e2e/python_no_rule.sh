#!/usr/bin/env bash
# The Python closure rule, and verify naming missing .py sources.
# 1. Without the rule (--no-rule-python) the zip lacks what only the rule adds (the rest of a
#    used distribution's dist-info), yet still works: the .py sources beside the warm pycs were
#    stat()ed, so they are recorded and kept without any rule.
# 2. Sources dropped on purpose (--drop 'yaml/*.py'): Python finds the pycs but no sources, yaml
#    becomes a namespace package and the handler fails; verify must exit 8 and name the missing
#    .py files; --fix keeps to the --drop the zip records, and puts them back once the zip no
#    longer records it.
# 3. The failure the rule prevents: a package the recorded run never imported is kept by its
#    compiled cache alone (--keep 'idna/__pycache__/**', the kind of glob users add for lazily
#    imported code). With the rule its sources and __init__.py come along and a workload that
#    does import it passes verify; without the rule Python ignores the orphan pycs, the import
#    fails, and verify names the missing .py files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare python
with=$WORK/python/with-rule.zip
without=$WORK/python/no-rule.zip
echo "== python: slimzip run with and without the Python rule"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$with" -- "${FIXTURE_CMD[@]}"
check "slimzip run (all rules) exits 0 (exit $RC)" test "$RC" -eq 0
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$without" --no-rule-python \
	-- "${FIXTURE_CMD[@]}"
check "slimzip run --no-rule-python exits 0 (exit $RC)" test "$RC" -eq 0
if [[ -s $with && -s $without ]]; then
	lw=$(unzip -Z1 "$with")
	ln=$(unzip -Z1 "$without")
	echo "with the rule: $(wc -l <<<"$lw") entries; without: $(wc -l <<<"$ln") entries"
	echo "only with the rule:"
	comm -23 <(sort <<<"$lw") <(sort <<<"$ln") | sed 's/^/  + /'
	check "the rule keeps the rest of a used dist-info (PyYAML-6.0.dist-info/RECORD)" \
		grep -qxF PyYAML-6.0.dist-info/RECORD <<<"$lw"
	check "without the rule PyYAML-6.0.dist-info/RECORD is left out" \
		bash -c '! grep -qxF PyYAML-6.0.dist-info/RECORD <<<"$1"' _ "$ln"
	check "without the rule the stat()ed source yaml/__init__.py is still kept" \
		grep -qxF yaml/__init__.py <<<"$ln"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$without" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "verify passes on the rule-less zip (exit $RC)" test "$RC" -eq 0
fi

echo "== python: pycs without their sources"
dropped=$WORK/python/no-sources.zip
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$dropped" --no-rule-python \
	--drop 'yaml/*.py' -- "${FIXTURE_CMD[@]}"
check "slimzip run --drop 'yaml/*.py' exits 0 (exit $RC)" test "$RC" -eq 0
if [[ -s $dropped ]]; then
	list=$(unzip -Z1 "$dropped")
	check "the zip keeps yaml/__pycache__/__init__.cpython-311.pyc" \
		grep -qxF yaml/__pycache__/__init__.cpython-311.pyc <<<"$list"
	check "the zip lacks yaml/__init__.py" bash -c '! grep -qxF yaml/__init__.py <<<"$1"' _ "$list"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$dropped" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "verify exits 8 (EXIT_VERIFY_MISSING) (exit $RC)" test "$RC" -eq 8
	check "verify names the missing yaml/__init__.py" \
		grep -qF yaml/__init__.py "$WORK/last.out" "$WORK/last.err"
	named=$(grep -ohE 'yaml/[a-z_]+\.py' "$WORK/last.out" "$WORK/last.err" | sort -u | wc -l)
	check "verify names several missing .py files ($named distinct)" test "$named" -gt 1
	# The zip records its --drop: --fix keeps to it, and says the drop keeps them out.
	RUN_CWD=$TREE run "$SLIMZIP" verify "$dropped" --tree "$TREE" --fix -- "${FIXTURE_CMD[@]}"
	check "verify --fix keeps the recorded --drop: exit 8 (exit $RC)" test "$RC" -eq 8
	check "it says a --drop keeps them out" grep -qF "a --drop keeps them out" "$WORK/last.err"
	check "yaml/__init__.py stayed out" \
		bash -c '! unzip -Z1 "$1" | grep -qxF yaml/__init__.py' _ "$dropped"
	# Without the record (a zip from another tool), --fix puts them back.
	printf '' | zip -q -z "$dropped"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$dropped" --tree "$TREE" --fix -- "${FIXTURE_CMD[@]}"
	check "verify --fix on the zip without its record exits 0 (exit $RC)" test "$RC" -eq 0
	check "verify --fix put yaml/__init__.py back" \
		bash -c 'unzip -Z1 "$1" | grep -qxF yaml/__init__.py' _ "$dropped"
fi

echo "== python: a lazily imported package kept by its compiled cache only"
lazy_cmd=(env PYTHONPATH=. PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -S -c
	'import idna; print(idna.encode("b\u00fccher.example"))')
for mode in with without; do
	zip=$WORK/python/lazy-$mode.zip
	flags=(--keep 'idna/__pycache__/**')
	[[ $mode == without ]] && flags+=(--no-rule-python)
	RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$zip" "${flags[@]}" -- "${FIXTURE_CMD[@]}"
	check "slimzip run $mode the rule, keeping idna's pycs, exits 0 (exit $RC)" test "$RC" -eq 0
	# -v: every missing file listed, not the first few of each package.
	RUN_CWD=$TREE run "$SLIMZIP" verify -v "$zip" --tree "$TREE" -- "${lazy_cmd[@]}"
	if [[ $mode == with ]]; then
		check "with the rule idna/core.py comes with its pyc" \
			bash -c 'unzip -Z1 "$1" | grep -qxF idna/core.py' _ "$zip"
		check "with the rule a workload importing idna passes verify (exit $RC)" \
			test "$RC" -eq 0
	else
		check "without the rule verify exits 8 (exit $RC)" test "$RC" -eq 8
		for f in idna/__init__.py idna/core.py idna/idnadata.py; do
			check "without the rule verify names the missing $f" \
				grep -qE "^  $f, wanted by python3 \([0-9]+\) via " "$WORK/last.err"
		done
	fi
done
e2e_finish
