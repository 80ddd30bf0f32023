#!/usr/bin/env bash
# verify's output for people and tools (issue 12): the missing files grouped by package with
# counts, capped per package unless -v; --report FILE (JSON) holding what ran, each round,
# every missing file with its package, --fix's additions and the verdict, matching the text;
# --fix --keep-out FILE, a keep list that prune --keep-from turns into a zip verify passes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare python
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
first=$WORK/first.zip
# A first build that misses most of the function: only the handler kept.
run "$SLIMZIP" prune --tree "$TREE" --profile "$WORK/empty.profile" -o "$first" --keep handler.py
check "the first build exits 0 (exit $RC)" test "$RC" -eq 0
cp "$first" "$WORK/first-copy.zip"

echo "== grouped by package, with --report"
RUN_CWD=$TREE run env PYTHONPATH=. LD_LIBRARY_PATH=lib PYTHONDONTWRITEBYTECODE=1 \
	"$SLIMZIP" verify "$first" --tree "$TREE" --report "$WORK/r1.json" -- "${FIXTURE_CMD[@]}"
check "verify exits 8 (exit $RC)" test "$RC" -eq 8
cp "$WORK/last.err" "$WORK/r1.err"
check "no 'missing:' line per file any more" bash -c '! grep -q "^missing: " "$1"' _ "$WORK/r1.err"
check "yaml's files are one group: 'missing N files of package yaml (python: yaml/)'" \
	grep -qE '^missing [0-9]+ files of package yaml \(python: yaml/\)$' "$WORK/r1.err"
check "lib/ is one package" grep -qE '^missing [0-9]+ files? of package lib \(lib: lib/\)$' \
	"$WORK/r1.err"
check "a package's files are listed indented under it" \
	grep -qE '^  yaml/[^ ]+\.py, wanted by python3 \([0-9]+\) via ' "$WORK/r1.err"
check "a large package is capped: '... and N more'" grep -qE '^  \.\.\. and [0-9]+ more' \
	"$WORK/r1.err"
# The report against the text: the same groups and counts, every file with its package.
check "the report parses and matches the text" /usr/bin/python3 - "$WORK/r1.json" \
	"$WORK/r1.err" "$first" "$TREE" <<'PY'
import json, re, sys
rep = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert rep["command"] == "verify" and rep["zip"] == sys.argv[3] and rep["tree"] == sys.argv[4]
assert rep["argv"][-1] == "handler.py" and rep["options"]["fix"] is False
assert json.loads(rep["options"]["pruned_with"])["keep"] == ["handler.py"]
assert rep["verdict"] == "missing" and rep["exit_code"] == 8, (rep["verdict"], rep["exit_code"])
assert rep["message"] in text, rep["message"]
(r,) = rep["rounds"]
assert r["exit_status"] != 0 and r["diagnosis_status"] == 0
assert r["missing_count"] == len(r["missing"]) > 0
m = re.search(r"; (\d+) missing files", text)
assert int(m.group(1)) == r["missing_count"], (m.group(1), r["missing_count"])
groups = {(g["package"], g["kind"]): g["files"] for g in r["packages"]}
said = {(n, k): int(c) for c, n, k in
        re.findall(r"^missing (\d+) files? of package (\S+) \((\w+)", text, re.M)}
assert groups == said, (groups, said)
assert sum(groups.values()) == r["missing_count"]
by_pkg = {}
for f in r["missing"]:
    by_pkg.setdefault((f["package"], f["package_kind"]), []).append(f["path"])
    assert not f["added"]
assert {k: len(v) for k, v in by_pkg.items()} == groups
assert all(p.startswith("yaml/") for p in by_pkg[("yaml", "python")])
# What the text lists of a package (capped) is in the report's list of it.
for path in re.findall(r"^  (yaml/\S+), wanted", text, re.M):
    assert path in by_pkg[("yaml", "python")], path
assert rep["added"] == [] and rep["fixed"] is False
PY
RUN_CWD=$TREE run env PYTHONPATH=. LD_LIBRARY_PATH=lib PYTHONDONTWRITEBYTECODE=1 \
	"$SLIMZIP" -v verify "$first" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
check "-v lists every file: no cap" bash -c '! grep -qE "^  \.\.\. and [0-9]+ more" "$1"' _ \
	"$WORK/last.err"
listed=$(grep -cE '^  [^ ]+, wanted (by|via) ' "$WORK/last.err" || true)
want=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rounds"][0]["missing_count"])' "$WORK/r1.json")
check "-v lists as many files as the report has ($listed, $want)" test "$listed" -eq "$want"

echo "== --fix --keep-out, then the next build with --keep-from"
RUN_CWD=$TREE run env PYTHONPATH=. LD_LIBRARY_PATH=lib PYTHONDONTWRITEBYTECODE=1 \
	"$SLIMZIP" verify "$first" --tree "$TREE" --fix --keep-out "$WORK/keep.txt" \
	--report "$WORK/r2.json" -- "${FIXTURE_CMD[@]}"
check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
check "the keep list is written" test -s "$WORK/keep.txt"
check "the keep list holds the --fix additions of the report, one anchored line each" \
	/usr/bin/python3 - "$WORK/r2.json" "$WORK/keep.txt" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
lines = [l for l in open(sys.argv[2]).read().splitlines() if l and not l.startswith("#")]
assert rep["verdict"] == "verified" and rep["exit_code"] == 0 and rep["fixed"] is True
assert rep["message"] is None
assert len(rep["rounds"]) >= 2 and rep["rounds"][-1]["missing_count"] == 0
added = [f["path"] for r in rep["rounds"] for f in r["missing"] if f["added"]]
assert added == rep["added"] and len(added) == sum(r["added"] for r in rep["rounds"]) > 0
assert lines == ["/" + p for p in added], (lines[:3], added[:3])
PY
next=$WORK/next.zip
run "$SLIMZIP" prune --tree "$TREE" --profile "$WORK/empty.profile" -o "$next" --keep handler.py \
	--keep-from "$WORK/keep.txt"
check "prune --keep-from keep.txt exits 0 (exit $RC)" test "$RC" -eq 0
RUN_CWD=$TREE run env PYTHONPATH=. LD_LIBRARY_PATH=lib PYTHONDONTWRITEBYTECODE=1 \
	"$SLIMZIP" verify "$next" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
check "the next build passes verify without --fix (exit $RC)" test "$RC" -eq 0
check "its output is the workload's" cmp -s "$WORK/last.out" "$EXPECTED"

echo "== --report - and the refusals"
echo need >"$TREE/need.txt"
RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/first-copy.zip" --tree "$TREE" --report - \
	-- cat need.txt
check "verify exits 8 (exit $RC)" test "$RC" -eq 8
check "--report - puts the JSON on stdout after the command's own output" \
	/usr/bin/python3 - "$WORK/last.out" <<'PY'
import json, sys
out = open(sys.argv[1]).read()
head, sep, rest = out.partition("{")
assert head == "need\n" * head.count("need\n"), head
rep = json.loads(sep + rest)
assert rep["rounds"][0]["missing"][0]["path"] == "need.txt"
assert rep["rounds"][0]["missing"][0]["package_kind"] == "file"
PY
run "$SLIMZIP" verify "$WORK/first-copy.zip" --tree "$TREE" --keep-out "$WORK/k.txt" -- true
check "--keep-out without --fix is refused with exit 2 (exit $RC)" test "$RC" -eq 2
check "it says to give --fix" grep -q -- "--keep-out.*--fix" "$WORK/last.err"
check "and writes nothing" test ! -e "$WORK/k.txt"
run "$SLIMZIP" verify "$WORK/first-copy.zip" --tree "$TREE" --fix --keep-out - --report - -- true
check "two outputs on stdout are refused with exit 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" verify "$WORK/first-copy.zip" --tree "$TREE" --report /nonexistent/dir/r.json \
	-- true
check "an unwritable --report is refused before any run, exit 7 (exit $RC)" test "$RC" -eq 7
check "it names --report" grep -q -- "--report" "$WORK/last.err"
check "and runs nothing" bash -c '! grep -q "verify round" "$1"' _ "$WORK/last.err"
e2e_finish
