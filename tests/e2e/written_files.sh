#!/usr/bin/env bash
# Files the recorded run wrote (issue 9): a Python function (python3 -S, bytecode writing on)
# that appends to logs/app.log, writes cache/data.json through a temp file and os.replace,
# updates state.txt in place ("r+") and imports a module whose bytecode it compiles during the
# run. The log and the cache are left out of the zip and listed; the new .pyc of the kept
# module stays; --keep-created keeps them; the modified state.txt stays and is warned about;
# verify passes on a zip without the log and the cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

# fresh_tree DIR: the function's sources as checked out, before any run.
fresh_tree() {
	rm -rf "$1"
	mkdir -p "$1/pkg" "$1/logs" "$1/cache"
	cat >"$1/handler.py" <<'PY'
import json
import os
import tempfile

import pkg.mod

new = not os.path.exists("logs/app.log")
with open("logs/app.log", "a") as log:
    log.write("handled %d%s\n" % (pkg.mod.VALUE, " (new log)" if new else ""))
cached = None
if os.path.exists("cache/data.json"):
    with open("cache/data.json") as f:
        cached = json.load(f)
if cached is None:
    fd, tmp = tempfile.mkstemp(dir="cache", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump({"value": pkg.mod.VALUE}, f)
    os.replace(tmp, "cache/data.json")
with open("state.txt", "r+") as f:
    n = int(f.read() or "0")
    f.seek(0)
    f.write(str(n + 1))
    f.truncate()
print("value", pkg.mod.VALUE)
PY
	: >"$1/pkg/__init__.py"
	echo 'VALUE = 42' >"$1/pkg/mod.py"
	echo 0 >"$1/state.txt"
}
CMD=(env -u PYTHONDONTWRITEBYTECODE python3 -S handler.py)
in_zip() { unzip -Z1 "$1" | grep -qxF "$2"; }
not_in_zip() { ! unzip -Z1 "$1" | grep -qxF "$2"; }

TREE=$WORK/tree
ZIP=$WORK/out.zip
REPORT=$WORK/report.json
fresh_tree "$TREE"
check "no bytecode before the run" test ! -e "$TREE/pkg/__pycache__"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$ZIP" --report "$REPORT" \
	--profile-out "$WORK/run.profile" -- "${CMD[@]}"
check "slimzip run exits 0 (exit $RC)" test "$RC" -eq 0
check "the run compiled the module's bytecode into the tree" \
	test -f "$TREE/pkg/__pycache__/mod.cpython-311.pyc"
check "the run wrote its log and its cache into the tree" \
	test -f "$TREE/logs/app.log" -a -f "$TREE/cache/data.json"
cp "$WORK/last.out" "$WORK/run.out"
cp "$WORK/last.err" "$WORK/run.err"

check "the zip lacks the log the run created" not_in_zip "$ZIP" logs/app.log
check "the zip lacks the cache the run wrote through a temp file" not_in_zip "$ZIP" cache/data.json
check "the summary says the run's 2 files are left out and how to keep them" \
	grep -qE "^created: +left out 2 files the run created \(first: cache/data.json\); --keep-created keeps them$" \
	"$WORK/run.err"
check "the report lists both as created and left out" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["created_left_out"] != ["cache/data.json", "logs/app.log"])' "$REPORT"
check "the new .pyc of the kept module is in the zip, kept as bytecode of a kept source" \
	bash -c 'unzip -Z1 "$1" | grep -qxF pkg/__pycache__/mod.cpython-311.pyc &&
		grep -qE "^created: +kept 2 .pyc files the run compiled for kept sources" "$2"' \
	_ "$ZIP" "$WORK/run.err"
check "the file modified in place is kept and warned about" \
	bash -c 'unzip -Z1 "$1" | grep -qxF state.txt &&
		grep -q "kept 1 file the run modified (opened for writing or truncated; first: state.txt)" "$2"' \
	_ "$ZIP" "$WORK/run.err"
check "the report lists the modified file" /usr/bin/python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["modified"] != ["state.txt"])' "$REPORT"

echo "== the extracted zip runs as the tree did"
EX=$WORK/extracted
run "$SLIMZIP" prune --profile "$WORK/run.profile" --tree "$TREE" --dry-run
check "prune --dry-run marks the log as left out because the run created it" \
	grep -qxF -- "- logs/app.log  [created by the run]" "$WORK/last.out"
check "the zip extracts" extract "$ZIP" "$EX"
rc=0
(cd "$EX" && "${CMD[@]}") >"$WORK/ex.out" 2>&1 || rc=$?
sed 's/^/  | /' "$WORK/ex.out"
check "the command exits 0 in the extracted copy and prints the value (exit $rc)" \
	bash -c '[[ $1 == 0 ]] && grep -qx "value 42" "$2"' _ "$rc" "$WORK/ex.out"

echo "== verify: what the proof run writes itself is not missing"
cp "$ZIP" "$WORK/verify.zip"
zip -q -d "$WORK/verify.zip" logs/app.log cache/data.json 2>/dev/null || true
check "the zip to verify lacks the log and the cache" \
	bash -c '! unzip -Z1 "$1" | grep -qE "^(logs/app.log|cache/data.json)$"' _ "$WORK/verify.zip"
RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/verify.zip" --tree "$TREE" -- "${CMD[@]}"
check "verify exits 0 on a zip without the log and the cache the workload writes (exit $RC)" \
	test "$RC" -eq 0

echo "== --keep-created"
fresh_tree "$TREE"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/kept.zip" --keep-created -- "${CMD[@]}"
check "slimzip run --keep-created exits 0 (exit $RC)" test "$RC" -eq 0
check "with --keep-created the log and the cache are in the zip" \
	bash -c 'unzip -Z1 "$1" | grep -qxF logs/app.log && unzip -Z1 "$1" | grep -qxF cache/data.json' \
	_ "$WORK/kept.zip"
check "the zip comment records --keep-created" \
	bash -c 'unzip -z "$1" | grep -qF "\"keep_created\":true"' _ "$WORK/kept.zip"
e2e_finish
