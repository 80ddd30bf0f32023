#!/usr/bin/env bash
# slimzip diff and merge on profiles the recorder wrote and a zip prune wrote: diff exits 0
# when B needs nothing A lacks, 1 when it does (a zip lacking a file the profile only stat()ed
# too), 6 for input it cannot read; merge writes the union (counts summed) atomically and
# refuses profiles whose tree roots differ unless --map rewrites one onto the other.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/task
mkdir -p "$tree/pkg"
echo a >"$tree/a.txt"
echo b >"$tree/b.txt"
echo s >"$tree/pkg/stat-only.txt"
tree=$(realpath "$tree")

run "$SLIMZIP" record -o "$WORK/a.profile" -- cat "$tree/a.txt"
check "record A (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" record -o "$WORK/b.profile" -- sh -c \
	'cat "$1/a.txt" "$1/b.txt" >/dev/null && test -e "$1/pkg/stat-only.txt"' _ "$tree"
check "record B (exit $RC)" test "$RC" -eq 0

run "$SLIMZIP" diff "$WORK/a.profile" "$WORK/b.profile"
check "diff A B: exit 1, B needs b.txt (exit $RC)" test "$RC" -eq 1
check "diff A B names b.txt as added and needed" grep -q "^+ $tree/b.txt .*(needed)" "$WORK/last.out"
run "$SLIMZIP" diff "$WORK/b.profile" "$WORK/a.profile"
check "diff B A: exit 0 (exit $RC)" test "$RC" -eq 0
check "diff B A lists b.txt as removed" grep -q "^- $tree/b.txt" "$WORK/last.out"
run "$SLIMZIP" diff --format json "$WORK/a.profile" "$WORK/b.profile"
check "diff --format json: exit 1 (exit $RC)" test "$RC" -eq 1
check "diff --format json is JSON naming b.txt as needed" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
need = [a["path"] for a in d["added"] if a["needed"]]
assert sys.argv[2] + "/b.txt" in need and d["needed"] >= 2, d
' "$WORK/last.out" "$tree"

# A zip pruned from A lacks b.txt and the stat-only file: it does not cover B.
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/a.profile" -o "$WORK/a.zip"
check "prune A (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" diff --tree-path-as "$tree" "$WORK/a.zip" "$WORK/b.profile"
check "diff a.zip B: exit 1 (exit $RC)" test "$RC" -eq 1
check "the zip lacks the stat-only file B needs" grep -q '^+ pkg/stat-only.txt .*(needed)' "$WORK/last.out"
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/b.profile" -o "$WORK/b.zip"
run "$SLIMZIP" diff --tree-path-as "$tree" "$WORK/b.zip" "$WORK/b.profile"
check "diff b.zip B: the zip pruned from B covers it (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" diff "$WORK/a.zip" "$WORK/b.zip"
check "diff of two zips: exit 1 (exit $RC)" test "$RC" -eq 1
run "$SLIMZIP" diff "$WORK/a.zip" "$WORK/b.profile"
check "a zip and a profile without a root: exit 6 (exit $RC)" test "$RC" -eq 6
check "... saying to give --tree-path-as" grep -q -- '--tree-path-as' "$WORK/last.err"
run "$SLIMZIP" diff "$WORK/a.profile" "$WORK/missing.profile"
check "a missing file: exit 6 (exit $RC)" test "$RC" -eq 6
check "a missing file is named in one line" test "$(grep -c missing.profile "$WORK/last.err")" -eq 1
printf 'PK\003\004 damaged' >"$WORK/bad.zip"
run "$SLIMZIP" diff "$WORK/bad.zip" "$WORK/a.zip"
check "an unreadable zip: exit 6 (exit $RC)" test "$RC" -eq 6
check "an unreadable zip is named" grep -q 'bad.zip' "$WORK/last.err"

# merge: the union; A with A doubles counts only.
run "$SLIMZIP" merge -o "$WORK/ab.profile" "$WORK/a.profile" "$WORK/b.profile"
check "merge A B (exit $RC)" test "$RC" -eq 0
check "merged-from counts the inputs" grep -qx '# merged-from: 2' "$WORK/ab.profile"
run "$SLIMZIP" diff "$WORK/ab.profile" "$WORK/b.profile"
check "the union covers B (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" diff "$WORK/ab.profile" "$WORK/a.profile"
check "the union covers A (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" merge --format json -o "$WORK/aa.profile" "$WORK/a.profile" "$WORK/a.profile"
check "merge A A (exit $RC)" test "$RC" -eq 0
check "A with A: A's entries, counts doubled" /usr/bin/python3 -c '
import json, sys
def entries(path):
    lines = open(path).read().splitlines()
    if lines[0].startswith("{"):
        return {e["path"]: e["count"] for e in map(json.loads, lines[1:])}
    rows = [l.split(" ", 9) for l in lines if not l.startswith("#")]
    return {r[9]: int(r[3]) for r in rows}
a, aa = entries(sys.argv[1]), entries(sys.argv[2])
assert a.keys() == aa.keys() and all(aa[k] == 2 * a[k] for k in a), (a, aa)
' "$WORK/a.profile" "$WORK/aa.profile"

# Tree roots that differ: refused (exit 6, one line naming both), unless mapped.
sed 's|^# tree-root: -$|# tree-root: /var/task|' "$WORK/a.profile" >"$WORK/a-lambda.profile"
sed "s|^# tree-root: -\$|# tree-root: $tree|" "$WORK/b.profile" >"$WORK/b-here.profile"
run "$SLIMZIP" merge -o "$WORK/mixed.profile" "$WORK/a-lambda.profile" "$WORK/b-here.profile"
check "two tree roots: exit 6 (exit $RC)" test "$RC" -eq 6
check "... one line naming both roots" \
	bash -c 'test "$(wc -l <"$1")" -eq 1 && grep -q /var/task "$1" && grep -q "$2" "$1"' _ \
	"$WORK/last.err" "$tree"
check "... and nothing written" test ! -e "$WORK/mixed.profile"
run "$SLIMZIP" merge -o "$WORK/mapped.profile" --map "$tree=/var/task" \
	"$WORK/a-lambda.profile" "$WORK/b-here.profile"
check "--map FROM=TO merges them (exit $RC)" test "$RC" -eq 0
check "B's paths now lie below /var/task" grep -q ' /var/task/b.txt$' "$WORK/mapped.profile"
check "the tree root is /var/task" grep -qx '# tree-root: /var/task' "$WORK/mapped.profile"
run "$SLIMZIP" merge -o "$WORK/x.profile" --map relative=/x "$WORK/a.profile"
check "a bad --map: exit 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" merge -o "$WORK/x.profile" "$WORK/a.profile" "$WORK/gone.profile"
check "merge of a missing profile: exit 6 (exit $RC)" test "$RC" -eq 6
check "... and no output" test ! -e "$WORK/x.profile"

# record --tree-root names the tree in the header itself (resolved; an absolute path elsewhere
# as given, cleaned), so merge refuses two trees with no sed in between.
cp -a "$tree" "$WORK/task2"
run "$SLIMZIP" record --tree-root "$WORK/task2/" -o "$WORK/t2.profile" -- cat "$WORK/task2/a.txt"
check "record --tree-root (exit $RC)" test "$RC" -eq 0
check "... names the tree, resolved, in tree-root" \
	grep -qx "# tree-root: $(realpath "$WORK/task2")" "$WORK/t2.profile"
# A SIGUSR1 snapshot carries it too: the profile so far, with the final one's headers.
"$SLIMZIP" record --tree-root "$WORK/task2" -o "$WORK/t2s.profile" -- \
	sh -c 'cat "$1"; while [ ! -e "$2" ]; do sleep 0.05; done' sh "$WORK/task2/a.txt" "$WORK/t2s.go" \
	>/dev/null 2>"$WORK/t2s.err" &
spid=$!
for _ in $(seq 200); do
	find "/proc/$spid/fd" -lname 'anon_inode:*signalfd*' 2>/dev/null | grep -q . && break
	sleep 0.05
done
# One sent before the event loop runs has nothing to snapshot yet: send until one lands.
for _ in $(seq 200); do
	[[ -s $WORK/t2s.profile ]] && break
	kill -USR1 "$spid"
	sleep 0.05
done
check "a SIGUSR1 snapshot names --tree-root too" \
	grep -qx "# tree-root: $(realpath "$WORK/task2")" "$WORK/t2s.profile"
touch "$WORK/t2s.go"
wait "$spid" || true
run "$SLIMZIP" record --tree-root "$tree" -o "$WORK/t1.profile" -- cat "$tree/a.txt"
run "$SLIMZIP" merge -o "$WORK/t12.profile" "$WORK/t1.profile" "$WORK/t2.profile"
check "merge of two records over different --tree-root refuses: exit 6 (exit $RC)" test "$RC" -eq 6
run "$SLIMZIP" record --tree-root //var/./task/ -o "$WORK/t3.profile" -- true
check "an absolute --tree-root that is not here is kept, cleaned" \
	grep -qx "# tree-root: /var/task" "$WORK/t3.profile"
run "$SLIMZIP" record --tree-root no/such/dir -o "$WORK/t4.profile" -- true
check "a relative --tree-root that is not here: exit 2 (exit $RC)" test "$RC" -eq 2
check "... one line naming it, no profile" \
	bash -c 'test "$(wc -l <"$1")" -eq 1 && grep -q "no/such/dir" "$1" && test ! -e "$2"' _ \
	"$WORK/last.err" "$WORK/t4.profile"
e2e_finish
