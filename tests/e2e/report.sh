#!/usr/bin/env bash
# slimzip report: the union of a text and a JSON profile, options after the files, both output
# formats. Hand-written profiles: no recording needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_workdir

cat >"$WORK/a.profile" <<'P'
# slimzip profile v1
# target-kind: command
# command: python3 a.py
# lost-events: 0
open 8:1 10 3 100644 1000 - 7 python3 /task/pkg/a.py
stat 8:1 11 1 100644 50 via=newfstatat 7 python3 /task/pkg/b.py
open,mmap 8:1 12 2 100755 9000 - 7 python3 /task/lib/x.so
P
cat >"$WORK/b.profile" <<'P'
{"slimzip_profile":1,"lost_events":2}
{"kinds":["open"],"dev":"8:1","ino":10,"count":1,"mode":33188,"size":1000,"flags":"-","pid":9,"comm":"node","path":"/task/pkg/a.py"}
{"kinds":["missing"],"dev":"0:0","ino":0,"count":1,"mode":0,"size":0,"flags":"path-only,errno=2","pid":9,"comm":"node","path":"/task/gone.py"}
P
RC=0
"$SLIMZIP" report "$WORK/a.profile" "$WORK/b.profile" --top 1 >"$WORK/out" 2>&1 || RC=$?
sed 's/^/  | /' "$WORK/out"
check "report exits 0 (exit $RC)" test "$RC" -eq 0
check "the target line says 2 profiles were merged" grep -qE "^target: +2 profiles merged$" "$WORK/out"
check "3 files, 10050 bytes in the union" grep -qE "^files: +3 \(9.81 KiB\), 0 directories, 1 failed lookups" "$WORK/out"
check "one stat-only file" grep -qE "^  stat-only +1 " "$WORK/out"
check "lost events from the JSON profile are shown" grep -q "WARNING: 2 events lost" "$WORK/out"
check "--top 1 lists only /task/pkg by files" bash -c \
	'[[ $(grep -A2 "by files" "$1" | tail -1) == *"/task/pkg" ]]' _ "$WORK/out"
check "by bytes the library directory comes first" bash -c \
	'[[ $(grep -A2 "by bytes" "$1" | tail -1) == *"/task/lib" ]]' _ "$WORK/out"
RC=0
"$SLIMZIP" report "$WORK/a.profile" >"$WORK/one" 2>&1 || RC=$?
check "one profile: the target line names its command" grep -qE "^target: +command python3 a.py$" "$WORK/one"
RC=0
"$SLIMZIP" report --format json "$WORK/a.profile" >"$WORK/json" || RC=$?
check "report --format json exits 0" test "$RC" -eq 0
check "the JSON report parses and counts 3 files" python3 -c \
	'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"] == 3 and d["by_kind"]["mmapped"] == 1' \
	"$WORK/json"
cat >"$WORK/w.profile" <<'P'
# slimzip profile v1
# target-kind: command
# lost-events: 0
open 8:1 10 3 100644 1000 - 7 python3 /task/pkg/a.py
open,write,create 8:1 13 1 100644 10 - 7 python3 /task/logs/app.log
open,write,truncate 8:1 14 1 100644 20 - 7 python3 /task/state.txt
P
RC=0
"$SLIMZIP" report "$WORK/w.profile" >"$WORK/w.out" 2>&1 || RC=$?
sed 's/^/  | /' "$WORK/w.out"
check "files written: 2" grep -qE "^  written +2$" "$WORK/w.out"
check "files created: 1" grep -qE "^  created +1$" "$WORK/w.out"
check "files truncated: 1" grep -qE "^  truncated +1$" "$WORK/w.out"
"$SLIMZIP" report --format json "$WORK/w.profile" >"$WORK/w.json"
check "the JSON report counts them too" python3 -c \
	'import json,sys; k=json.load(open(sys.argv[1]))["by_kind"]; assert (k["written"], k["created"], k["truncated"]) == (2, 1, 1), k' \
	"$WORK/w.json"
RC=0
"$SLIMZIP" report "$WORK/a.profile" --top 0 2>"$WORK/err" || RC=$?
check "report --top 0 is refused with exit 2" test "$RC" -eq 2
check "the message names --top" grep -q -- "--top" "$WORK/err"
# --tree DIR: only what lies in the tree (recorded at /task: --tree-path-as), matched as prune
# matches; the runtime's own files and another tree's are not counted.
mkdir -p "$WORK/task/pkg"
printf '%01000d' 0 >"$WORK/task/pkg/a.py"
printf 'x' >"$WORK/task/pkg/unused.py"
cat >"$WORK/t.profile" <<'P'
# slimzip profile v1
# target-kind: command
# lost-events: 0
open 0:0 0 1 100644 1000 path-only 7 python3 /task/pkg/a.py
open 0:0 0 1 100644 4000 path-only 7 python3 /usr/lib/python3.11/os.py
open 0:0 0 1 100644 70 path-only 7 python3 /elsewhere/b.py
P
RC=0
"$SLIMZIP" report --format json "$WORK/t.profile" >"$WORK/t-all.json" || RC=$?
check "without --tree every file counts (exit $RC)" python3 -c \
	'import json,sys; d=json.load(open(sys.argv[1])); assert (d["files"], d["bytes"]) == (3, 5070), d' \
	"$WORK/t-all.json"
RC=0
"$SLIMZIP" report --format json --tree "$WORK/task" --tree-path-as /task "$WORK/t.profile" \
	>"$WORK/t-tree.json" || RC=$?
check "report --tree exits 0 (exit $RC)" test "$RC" -eq 0
check "--tree counts only the tree's file" python3 -c \
	'import json,sys; d=json.load(open(sys.argv[1])); assert (d["files"], d["bytes"]) == (1, 1000), d' \
	"$WORK/t-tree.json"
RC=0
"$SLIMZIP" report --html "$WORK/t.html" --tree "$WORK/task" --tree-path-as /task "$WORK/t.profile" || RC=$?
check "report --html --tree exits 0 (exit $RC)" test "$RC" -eq 0
check "the page holds the tree's files, used and not used, and nothing outside it" python3 -c '
import json, re, sys
page = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"slimzip-data\">(.*?)</script>", page, re.S).group(1))
files = sorted((f[0], f[1], f[2], f[3]) for f in d["files"])
assert files == [("pkg/a.py", 1000, 0, "used"), ("pkg/unused.py", 1, 1, "not-used")], files
' "$WORK/t.html"

# Bad uses: one line naming the thing, exit 2 (usage) or 6 (input).
report_refused() {
	local want=$1 what=$2
	shift 2
	RC=0
	"$SLIMZIP" report "$@" >/dev/null 2>"$WORK/err" || RC=$?
	check "$what: exit $want (exit $RC)" test "$RC" -eq "$want"
	check "$what: one line" test "$(wc -l <"$WORK/err")" -eq 1
}
printf '{"slimzip_report":2,"kind":"prune","kept":[],"dropped":[]}\n' >"$WORK/r.json"
report_refused 2 "a prune report without --html" "$WORK/r.json"
check "  the message says --html" grep -q -- "--html" "$WORK/err"
report_refused 2 "--tree-path-as without --tree" --tree-path-as /task "$WORK/t.profile"
report_refused 2 "--html and --format" --html "$WORK/x.html" --format json "$WORK/t.profile"
report_refused 2 "a profile and a prune report" --html "$WORK/x.html" "$WORK/r.json" "$WORK/t.profile"
report_refused 2 "two prune reports" --html "$WORK/x.html" "$WORK/r.json" "$WORK/r.json"
printf '{"slimzip_report":1}\n' >"$WORK/old.json"
report_refused 6 "a schema-1 report" --html "$WORK/x.html" "$WORK/old.json"
check "  the message names the file" grep -qF "$WORK/old.json" "$WORK/err"
report_refused 7 "an unwritable page" --html /nonexistent/dir/x.html "$WORK/t.profile"
check "no page was left behind by the refusals" test ! -e "$WORK/x.html"
e2e_finish
