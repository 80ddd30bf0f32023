#!/usr/bin/env bash
# record and signals: one SIGINT stops a shell's whole workload, as a terminal's ^C would; a
# record started in the background by a script (SIGINT ignored) still stops on SIGINT, one
# started under nohup keeps ignoring SIGHUP; a SIGKILLed record leaves no running command
# (PR_SET_PDEATHSIG), and the next record removes the cgroup it left with what still ran in it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
source "$(dirname "${BASH_SOURCE[0]}")/signals_lib.sh"

# Job control: background commands keep the default SIGINT (a script's would ignore it).
set -m

echo "== one SIGINT to record stops sh -c 'sleep 100 & wait'"
bg rec1 "$SLIMZIP" record -o "$WORK/p1" -- sh -c 'echo $$ > "$1"; sleep 100 & wait' sh "$WORK/sh1.pid"
shpid=$(pid_in "$WORK/sh1.pid")
wait_until 10 pgrep -P "$shpid" sleep >/dev/null || true
sleeper=$(pgrep -P "$shpid" sleep || echo none)
kill -INT "$BG"
finish "$BG" 10 rec1
check "record exits 130 on one SIGINT (exit $RC)" test "$RC" -eq 130
check "the workload's sleep ($sleeper) is gone" wait_until 5 gone "$sleeper"
check "the profile was written" test -s "$WORK/p1"

echo "== one SIGINT to record stops sh -c 'sleep 100; echo after' (the shell waits for sleep)"
bg rec2 "$SLIMZIP" record -o "$WORK/p2" -- sh -c 'echo $$ > "$1"; sleep 100; echo after' sh "$WORK/sh2.pid"
shpid=$(pid_in "$WORK/sh2.pid")
BG_PIDS+=("$shpid")
wait_until 10 pgrep -P "$shpid" sleep >/dev/null || true
kill -INT "$BG"
finish "$BG" 10 rec2
check "record exits 130 on one SIGINT (exit $RC)" test "$RC" -eq 130
check "the shell did not go on after its sleep" bash -c '! grep -q after "$1"' _ "$WORK/rec2.out"

set +m
echo "== record started in the background by a script: SIGINT is ignored, record still stops"
bash -c 'grep ^SigIgn: /proc/self/status' >"$WORK/bgign" &
wait $!
echo "a background command of this script starts with $(cat "$WORK/bgign")"
check "(precondition) the script's background commands start ignoring SIGINT" \
	bash -c '(( 0x$(awk "{print \$2}" "$1") & 2 ))' _ "$WORK/bgign"
bg rec3 "$SLIMZIP" record -o "$WORK/p3" -- sh -c 'echo $$ > "$1"; exec sleep 100' sh "$WORK/sh3.pid"
cmdpid=$(pid_in "$WORK/sh3.pid")
BG_PIDS+=("$cmdpid")
check "the command does not inherit the ignored SIGINT" \
	bash -c '(( (0x$(awk "/^SigIgn:/ {print \$2}" /proc/$1/status) & 2) == 0 ))' _ "$cmdpid"
kill -INT "$BG"
finish "$BG" 10 rec3
check "record with SIGINT ignored stops on SIGINT: exit 130 (exit $RC)" test "$RC" -eq 130

echo "== record under nohup (SIGHUP ignored) keeps ignoring SIGHUP"
bg rec4 nohup "$SLIMZIP" record -o "$WORK/p4" -- sh -c 'echo $$ > "$1"; exec sleep 100' sh "$WORK/sh4.pid"
cmdpid=$(pid_in "$WORK/sh4.pid")
BG_PIDS+=("$cmdpid")
check "the command starts ignoring SIGHUP too" \
	bash -c '(( 0x$(awk "/^SigIgn:/ {print \$2}" /proc/$1/status) & 1 ))' _ "$cmdpid"
kill -HUP "$BG"
sleep 0.5
check "record and its command survive SIGHUP" bash -c 'kill -0 "$1" && kill -0 "$2"' _ "$BG" "$cmdpid"
kill -TERM "$BG"
finish "$BG" 10 rec4
check "then SIGTERM stops it: exit 143 (exit $RC)" test "$RC" -eq 143

echo "== SIGKILL of record: the command dies with it, the next record removes the cgroup"
bg rec5 "$SLIMZIP" record -o "$WORK/p5" -- \
	sh -c 'sleep 100 & echo $! > "$2"; echo $$ > "$1"; exec sleep 101' sh "$WORK/cmd5.pid" "$WORK/bg5.pid"
cmdpid=$(pid_in "$WORK/cmd5.pid")
bgpid=$(pid_in "$WORK/bg5.pid")
BG_PIDS+=("$cmdpid" "$bgpid")
cg=$(cgroup_of "$cmdpid")
echo "the command runs in $cg"
check "the command's cgroup is slimzip-<record's pid>-N" \
	bash -c '[[ ${1##*/} == slimzip-$2-* ]]' _ "$cg" "$BG"
kill -KILL "$BG"
finish "$BG" 10 rec5
check "the command (record's direct child) dies with record" wait_until 5 gone "$cmdpid"
check "(precondition) what it forked lives on in the cgroup left behind" \
	bash -c 'kill -0 "$1" && [[ -d $2 ]]' _ "$bgpid" "$cg"
run "$SLIMZIP" record -o "$WORK/p6" -- true
check "the next record exits 0 (exit $RC)" test "$RC" -eq 0
check "it removed the stale cgroup $cg" test ! -e "$cg"
check "and killed what still ran in it" wait_until 5 gone "$bgpid"
e2e_finish
