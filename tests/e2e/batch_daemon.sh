#!/usr/bin/env bash
# slimzip batch through a running daemon (issue 11: "all through one loaded BPF program, the
# daemon's when one is running"): with --socket, each command's cgroup is registered with the
# daemon, which records it; batch loads no program of its own (while the batch runs, the
# daemon holds the one recording program set of the two processes, batch none), the daemon's ctl
# list shows the batch's targets finished, and the zips are the same bytes as a batch with a
# private recorder (--no-daemon) makes. A daemon at capacity refuses one function's command:
# that function fails, named, the other is zipped. A --socket where nobody answers is an
# error, exit 11.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
# progs_of PID PROG: how many program fds of PID hold the program named PROG.
progs_of() { bpf_fds_of "$1" bpf-prog "$2"; }

app=$WORK/app
mkdir -p "$app/lib"
echo 'import lib.a; print("orders", lib.a.X)' >"$app/orders.py"
echo 'import lib.b; print("users", lib.b.Y)' >"$app/users.py"
echo 'X = 1' >"$app/lib/a.py"
echo 'Y = 2' >"$app/lib/b.py"
echo 'unused = 3' >"$app/lib/c.py"
: >"$app/lib/__init__.py"
# Each command waits for $WORK/go: the batch is still running while the test looks at it.
hold='n=0; until [ -e ../go ]; do n=$((n+1)); [ $n -lt 400 ] || exit 9; sleep 0.05; done'
cat >"$WORK/m.ini" <<INI
[function orders]
tree = app
command = cd app && $hold && python3 -S orders.py >../orders.out

[function users]
tree = app
command = cd app && $hold && python3 -S users.py >../users.out
INI

echo "== without a daemon: the reference zips"
touch "$WORK/go"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o ref --no-daemon
check "batch --no-daemon (exit $RC)" test "$RC" -eq 0
rm "$WORK/go"

echo "== a daemon runs; batch through it"
daemon_start || true
check "(precondition) the daemon answers" ctl ping
(cd "$WORK" && exec env -u CI "$SLIMZIP" batch m.ini -j 2 -o out --socket "$SOCK") \
	>"$WORK/batch.out" 2>"$WORK/batch.err" &
BPID=$!
for _ in $(seq 100); do [[ $(ctl list | grep -c '	live	explicit') == 2 ]] && break; sleep 0.1; done
run "${CTL[@]}" list
check "while it runs, the daemon follows both commands" test "$(grep -c "^batch$BPID-.*	live	explicit" "$WORK/last.out")" = 2
# the exec program: slz_exec under the per-syscall hook, slz_exec_note beside sys_exit
exec_progs() { echo $(($(progs_of "$1" slz_exec) + $(progs_of "$1" slz_exec_note))); }
check "batch itself holds no record program" test "$(exec_progs "$BPID")" = 0
check "the daemon holds one: one loaded for both" test "$(exec_progs "$DPID")" = 1
touch "$WORK/go"
RC=0
wait "$BPID" || RC=$?
sed 's/^/  | /' "$WORK/batch.out" "$WORK/batch.err"
check "batch through the daemon (exit $RC)" test "$RC" -eq 0
check "it says so" grep -q "recorded through the daemon at $SOCK" "$WORK/batch.err"
check "and the commands ran" bash -c 'grep -qx "orders 1" "$1/orders.out" && grep -qx "users 2" "$1/users.out"' _ "$WORK"
for f in orders users; do
	check "$f.zip is the same bytes as without a daemon" cmp "$WORK/ref/functions/$f.zip" "$WORK/out/functions/$f.zip"
done
check "(and orders.zip is what orders used)" \
	test "$(unzip -Z1 "$WORK/out/functions/orders.zip" | sort | tr '\n' ' ')" = "lib/ lib/__init__.py lib/a.py orders.py "
run "${CTL[@]}" list
check "ctl list shows the batch's targets, finished" \
	test "$(grep -c "^batch$BPID-.*	finished	explicit" "$WORK/last.out")" = 2
daemon_stop

echo "== a daemon at capacity: one function refused, the other zipped"
printf '[daemon]\nmax-targets = 1\n' >"$WORK/cap.conf"
STATE=$STATE.2 daemon_start --config "$WORK/cap.conf" || true
rm -f "$WORK/go"
(sleep 1; touch "$WORK/go") &
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o cap --socket "$SOCK"
check "batch fails (exit $RC)" test "$RC" -ne 0
check "one function is zipped" test "$(grep -c ' ok ' "$WORK/last.err")" = 1
check "the other failed recording, naming the daemon's refusal" \
	grep -qE 'FAILED +recording .*TooManyTargets' "$WORK/last.err"
daemon_stop

echo "== --socket where no daemon answers"
touch "$WORK/go"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -o none --socket "$WORK/nobody"
check "exit 11 (got $RC)" test "$RC" -eq 11
check "one line naming the socket" grep -q "no daemon answers at $WORK/nobody" "$WORK/last.err"
check "no zip written" test ! -e "$WORK/none/functions/orders.zip"
e2e_finish
