#!/usr/bin/env bash
# Streams (issue 12): a recorded workload owns stdout (run, record, verify: byte-identical to
# the command run alone), slimzip's summary goes to stderr; '-' is stdout for the outputs;
# --json's numbers are the zip's; -q after the subcommand; version both ways; an option of
# one value given twice exits 2.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_alone python
check "the fixture prints something on stdout alone" test -s "$alone"

echo "== run: stdout is the workload's"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$D/run.zip" --profile-out "$D/p.txt" \
	-- "${FIXTURE_CMD[@]}"
check "run exits 0 (exit $RC)" test "$RC" -eq 0
check "run's stdout is byte-identical to the command's alone" cmp "$WORK/last.out" "$alone"
check "run's summary is on stderr" grep -q "AWS Lambda:" "$WORK/last.err"

echo "== record: stdout is the workload's"
RUN_CWD=$TREE run "$SLIMZIP" record -o "$D/rec.txt" -- "${FIXTURE_CMD[@]}"
check "record exits 0 (exit $RC)" test "$RC" -eq 0
check "record's stdout is byte-identical to the command's alone" cmp "$WORK/last.out" "$alone"

echo "== verify: stdout is the workload's"
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/run.zip" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
check "verify exits 0 (exit $RC)" test "$RC" -eq 0
check "verify's stdout is byte-identical to the command's alone" cmp "$WORK/last.out" "$alone"
check "verify's verdict is on stderr" grep -q "verified:" "$WORK/last.err"

echo "== prune -o -: the zip on stdout, the summary on stderr"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o -
check "prune -o - exits 0 (exit $RC)" test "$RC" -eq 0
cp "$WORK/last.out" "$D/stdout.zip"
check "stdout is a valid zip (unzip -t)" unzip -tq "$D/stdout.zip"
check "it lists the same entries as run's zip" \
	cmp <(unzip -Z1 "$D/stdout.zip") <(unzip -Z1 "$D/run.zip")
check "no file named '-' was made" test ! -e ./-
check "the summary went to stderr" grep -q "AWS Lambda:" "$WORK/last.err"
check "no temp file is left in \$TMPDIR by '-'" \
	bash -c '! ls -A "${TMPDIR:-/tmp}" | grep -q "^\.slimzip-stdout-"'

echo "== prune --report -: the JSON report on stdout"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/p.zip" --report -
check "prune --report - exits 0 (exit $RC)" test "$RC" -eq 0
check "stdout is the report alone (json.load)" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert isinstance(r, dict) and r, r
' "$WORK/last.out"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/p.zip" --whitelist-out -
check "--whitelist-out - puts the kept paths on stdout" grep -qxF handler.py "$WORK/last.out"

echo "== --json: the summary's numbers are the zip's"
for cmd in prune run; do
	if [[ $cmd == prune ]]; then
		run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/j.zip" --json -
	else
		RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$D/j.zip" --json "$D/run.json" \
			-- "${FIXTURE_CMD[@]}"
		check "run --json FILE leaves stdout to the workload" cmp "$WORK/last.out" "$alone"
		cp "$D/run.json" "$WORK/last.out"
	fi
	check "$cmd --json exits 0 (exit $RC)" test "$RC" -eq 0
	check "$cmd --json parses (python3 -m json.tool)" \
		/usr/bin/python3 -m json.tool "$WORK/last.out" /dev/null
	entries=$(unzip -Z1 "$D/j.zip" | wc -l)
	size=$(stat -c %s "$D/j.zip")
	check "$cmd --json: zip.entries = unzip -Z1 | wc -l ($entries), zip.bytes = size ($size)" \
		/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["command"] == sys.argv[4], s["command"]
assert s["zip"]["entries"] == int(sys.argv[2]), (s["zip"], sys.argv[2])
assert s["zip"]["bytes"] == int(sys.argv[3]), (s["zip"], sys.argv[3])
assert s["after"]["files"] == s["zip"]["files"], s
assert s["before"]["files"] > s["after"]["files"], s
' "$WORK/last.out" "$entries" "$size" "$cmd"
done

echo "== -q after the subcommand"
run "$SLIMZIP" prune -q --tree "$TREE" --profile "$D/p.txt" -o "$D/q.zip"
check "prune -q exits 0 (exit $RC)" test "$RC" -eq 0
check "prune -q prints no summary" test ! -s "$WORK/last.out"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/q.zip"
check "without -q prune prints its summary on stdout" grep -q "AWS Lambda:" "$WORK/last.out"

echo "== version"
run "$SLIMZIP" version
v1=$(cat "$WORK/last.out")
check "slimzip version exits 0 and prints 'slimzip X'" grep -q "^slimzip [0-9]" "$WORK/last.out"
run "$SLIMZIP" --version
check "slimzip --version prints the same" test "$(cat "$WORK/last.out")" = "$v1"

echo "== an option of one value given twice"
run "$SLIMZIP" prune --tree "$TREE" --tree "$TREE" --profile "$D/p.txt" -o "$D/t.zip"
check "prune --tree twice exits 2 (exit $RC)" test "$RC" -eq 2
check "the message names --tree, on one line" \
	bash -c '[[ $(wc -l <"$1") -eq 1 ]] && grep -q -- "--tree given twice" "$1"' _ "$WORK/last.err"
check "and writes nothing" test ! -e "$D/t.zip"
run "$SLIMZIP" report --format json --format text "$D/p.txt"
check "report --format twice exits 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" --profile "$D/rec.txt" -o "$D/t.zip"
check "--profile (repeatable) twice is fine (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o - --report -
check "two outputs on stdout exit 2 (exit $RC)" test "$RC" -eq 2
check "the message names both" grep -q -- "-o and --report both write to stdout" "$WORK/last.err"
e2e_finish
