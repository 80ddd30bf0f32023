#!/usr/bin/env bash
# The daemon's watch rules and all = yes with the real program: a [watch ci] rule on a parent
# cgroup the test makes (two rules on that one parent), new cgroups below it each running a
# different command concurrently, each an exact profile of its own (and the rule's [function]
# zip), a child no rule matches giving nothing, an existing matching cgroup taken by the start
# scan and, emptied but never removed, ended by its linger; SIGHUP dropping a rule's parent
# and adding another (scanned); all = yes attributing two unrelated cgroups separately.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

mkdir -p "$WORK/tree" "$WORK/j0" "$WORK/j1" "$WORK/j2" "$WORK/o" "$WORK/t" "$WORK/zips"
for f in tree/used1 tree/used2 tree/unused j0/a j1/a j1/b j2/a o/a t/a; do echo "$f" >"$WORK/$f"; done

P=$CG_MNT$CG_SELF/slz-e2e-w-$$ # the watched parent
Q=$CG_MNT$CG_SELF/slz-e2e-q-$$ # a parent watched from a SIGHUP on
A=$CG_MNT$CG_SELF/slz-e2e-all-$$
PV=$CG_SELF/slz-e2e-w-$$ # its cgroup v2 path
QV=$CG_SELF/slz-e2e-q-$$
DAEMON_CGROUPS+=("$P" "$Q" "$A")
mkdir "$P" "$Q" "$P/job-0" "$Q/job-q"

cat >"$CONF" <<EOF
[daemon]
linger = 1

[watch ci]
parent = $PV
match = job-*
name = ci-{name}
function = fn

# A second rule on the same parent: one recorder watch serves both.
[watch tasks]
parent = $PV
match = task-*
name = {watch}-{name}

[function fn]
tree = $WORK/tree
output = $WORK/zips/{target}.zip
EOF
cp "$CONF" "$CONF.first"
# job-0 is populated before the daemon starts (else its linger would end it at once), and
# reads its file only when told to.
in_cg "$P/job-0" sh -c 'while [ ! -e "$1/go" ]; do sleep 0.1; done; cat "$1/j0/a"' sh "$WORK" >/dev/null &
J0=$!

echo "== the start scan takes an existing matching cgroup"
daemon_start --config "$CONF" || true
run "${CTL[@]}" list
check "job-0, made before the daemon, is target ci-job-0" grep -q "^ci-job-0	live	watch" "$WORK/last.out"
run "${CTL[@]}" status
check "two rules, one watched parent" grep -q "^watches  *2 rules on 1 parents, 0 new cgroups refused" "$WORK/last.out"

echo "== new cgroups below the parent, a different command in each, concurrently"
mkdir "$P/job-1" "$P/job-2" "$P/other" "$P/task-1"
in_cg "$P/job-1" sh -c 'cat "$1/j1/a" "$1/tree/used1"; sleep 1; cat "$1/j1/b"' sh "$WORK" >/dev/null &
J1=$!
in_cg "$P/job-2" sh -c 'head -c1 "$1/j2/a" "$1/tree/used2"; sleep 1' sh "$WORK" >/dev/null &
J2=$!
in_cg "$P/other" sh -c 'wc -c "$1/o/a"; sleep 1' sh "$WORK" >/dev/null &
O=$!
in_cg "$P/task-1" sh -c 'tail -n1 "$1/t/a"' sh "$WORK" >/dev/null &
T=$!
sleep 0.5
run "${CTL[@]}" list
check "job-1 and job-2 are live at once" \
	bash -c 'grep -q "^ci-job-1	live" "$1" && grep -q "^ci-job-2	live" "$1"' _ "$WORK/last.out"
check "other is no target" bash -c '! grep -q "other" "$1"' _ "$WORK/last.out"
wait "$J1" "$J2" "$O" "$T"
rmdir "$P/job-1" "$P/job-2" "$P/other" "$P/task-1"
wait_file "$STATE/profiles/ci-job-1.profile" || true
wait_file "$STATE/profiles/ci-job-2.profile" || true
wait_file "$STATE/profiles/tasks-task-1.profile" || true
check "ci-job-1.profile holds exactly job-1's files" \
	test "$(work_line "$STATE/profiles/ci-job-1.profile")" = "$WORK/j1/a $WORK/j1/b $WORK/tree/used1 "
check "ci-job-2.profile holds exactly job-2's files" \
	test "$(work_line "$STATE/profiles/ci-job-2.profile")" = "$WORK/j2/a $WORK/tree/used2 "
check "the second rule on the parent names task-1 by its template, exactly its file" \
	test "$(work_line "$STATE/profiles/tasks-task-1.profile")" = "$WORK/t/a "
check "the cgroup no rule matches gives nothing" \
	bash -c '! ls "$1" | grep -q other' _ "$STATE/profiles"
check "nobody recorded other's file" bash -c '! grep -rq "/o/a" "$1"' _ "$STATE/profiles"
wait_file "$WORK/zips/ci-job-1.zip" || true
check "the rule's [function] pruned job-1 to its zip: used1, not used2" \
	bash -c 'unzip -Z1 "$1" | grep -qx used1 && ! unzip -Z1 "$1" | grep -q used2' _ "$WORK/zips/ci-job-1.zip"
check "task-1's rule names no function: no zip" test ! -e "$WORK/zips/tasks-task-1.zip"
check "a target its [function] prunes names that tree as its profile's tree-root" \
	grep -qx "# tree-root: $(realpath "$WORK/tree")" "$STATE/profiles/ci-job-1.profile"
check "... one with no [function] names none" \
	grep -qx "# tree-root: -" "$STATE/profiles/tasks-task-1.profile"

echo "== an existing cgroup emptied but never removed ends after its linger"
run "${CTL[@]}" list
check "job-0, populated all along, is still live" grep -q "^ci-job-0	live" "$WORK/last.out"
touch "$WORK/go"
wait "$J0"
wait_file "$STATE/profiles/ci-job-0.profile" || true
check "ci-job-0.profile is written while job-0 still exists" \
	bash -c 'test -d "$1" && test -s "$2"' _ "$P/job-0" "$STATE/profiles/ci-job-0.profile"
check "... holding exactly its files (the flag it waited for, its file)" \
	test "$(work_line "$STATE/profiles/ci-job-0.profile")" = "$WORK/go $WORK/j0/a "

echo "== SIGHUP: the old parent's watch goes, a new one's existing children are scanned"
sed "s|^parent = $PV\$|parent = $QV|" "$CONF.first" >"$CONF"
kill -HUP "$DPID"
for _ in $(seq 50); do ctl list 2>/dev/null | grep -q "^ci-job-q	live" && break; sleep 0.1; done
run "${CTL[@]}" list
check "job-q, below the newly watched parent, is a target" grep -q "^ci-job-q	live" "$WORK/last.out"
mkdir "$P/job-3"
in_cg "$P/job-3" cat "$WORK/j1/a" >/dev/null
sleep 0.3
run "${CTL[@]}" list
check "a new cgroup below the parent no longer watched is no target" \
	bash -c '! grep -q "job-3" "$1"' _ "$WORK/last.out"
rmdir "$P/job-3"
run "${CTL[@]}" status
check "status: two rules, one watched parent after the reload" \
	grep -q "^watches  *2 rules on 1 parents, 0 new cgroups refused" "$WORK/last.out"
kill -TERM "$DPID"
DRC=0
wait "$DPID" || DRC=$?
DPID=
check "the daemon stops cleanly (exit $DRC)" test "$DRC" -eq 0
check "job-q's target is finished at the stop" test -s "$STATE/profiles/ci-job-q.profile"

echo "== all = yes: two unrelated cgroups attributed separately"
printf '[daemon]\nall = yes\nlinger = 1\n' >"$WORK/all.conf"
STATE=$WORK/state-all daemon_start --config "$WORK/all.conf" || true
mkdir "$A" "$A/u1-$$" "$A/u2-$$"
in_cg "$A/u1-$$" cat "$WORK/j1/a" >/dev/null &
U1=$!
in_cg "$A/u2-$$" cat "$WORK/j2/a" >/dev/null &
U2=$!
wait "$U1" "$U2"
rmdir "$A/u1-$$" "$A/u2-$$"
wait_file "$WORK/state-all/profiles/u1-$$.profile" || true
wait_file "$WORK/state-all/profiles/u2-$$.profile" || true
check "u1's profile holds exactly its file" test "$(work_line "$WORK/state-all/profiles/u1-$$.profile")" = "$WORK/j1/a "
check "u2's profile holds exactly its file" test "$(work_line "$WORK/state-all/profiles/u2-$$.profile")" = "$WORK/j2/a "
run "${CTL[@]}" status
# all = yes follows every new cgroup of the host, other suites' too (and may refuse some of
# theirs when they come in numbers): only the test's own two count, and their exact profiles
# above say they were neither refused nor mixed with anyone's.
check "status says all = yes" grep -qE "^all  *yes, [0-9]+ new cgroups refused" "$WORK/last.out"
echo "== record --daemon under all = yes: its cgroup, born an all target, is handed over"
run "$SLIMZIP" record --daemon --socket "$SOCK" --name rd -o "$WORK/rd.profile" -- cat "$WORK/o/a"
check "record --daemon works (exit $RC)" test "$RC" -eq 0
check "... its profile exactly its file" test "$(work_line "$WORK/rd.profile")" = "$WORK/o/a "
kill -TERM "$DPID"
DRC=0
wait "$DPID" || DRC=$?
DPID=
check "the all = yes daemon stops cleanly (exit $DRC)" test "$DRC" -eq 0
sed 's/^/  daemon| /' "$WORK/daemon.log"
e2e_finish
