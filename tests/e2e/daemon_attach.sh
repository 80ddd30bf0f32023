#!/usr/bin/env bash
# The daemon attaches the programs every task runs (its syscall hook's, sched_process_exec) only
# while it follows something (issue 10, "Cost"): started with an empty config it holds no link
# to them, ctl add makes one each, ctl finish of the last target takes them away again. The
# kernel's view is read: the daemon's bpf_link fds and the program each one runs (bpftool).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

STATE=$WORK/state
RT=$WORK/run
SOCK=$RT/control
CTL=("$SLIMZIP" ctl --socket "$SOCK")
ctl() { "${CTL[@]}" "$@"; }
# hook_links PID: links of the syscall hook, whichever the recorder chose (tp_btf/sys_exit, or
# the per-syscall tracepoints, of which sys_exit_openat stands for all: one link each).
hook_links() { echo $(($(links_of "$1" slz_sys_exit) + $(links_of "$1" slz_openat))); }
# links_of PID PROG: how many bpf_link fds of PID run the program named PROG.
links_of() {
	local pid=$1 prog=$2 n=0 fd id
	for fd in /proc/"$pid"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == anon_inode:bpf_link ]] || continue
		id=$(awk '$1 == "prog_id:" {print $2}' /proc/"$pid"/fdinfo/"${fd##*/}" 2>/dev/null)
		[[ -n $id ]] || continue
		[[ $(bpftool prog show id "$id" -j | jq -r .name) == "$prog" ]] && n=$((n + 1))
	done
	echo "$n"
}
mnt=$(findmnt -t cgroup2 -n -o TARGET | head -1)
self=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
CG=$mnt${self%/}/slz-e2e-attach-$$
DPID=
cleanup() {
	set +e
	[[ -n $DPID ]] && kill -KILL "$DPID" 2>/dev/null
	# A task that has just exited may keep its cgroup busy a moment on a loaded host.
	for _ in $(seq 50); do
		[[ -d $CG ]] && rmdir "$CG" 2>/dev/null
		[[ -d $CG ]] || break
		sleep 0.1
	done
	[[ ${SLIMZIP_KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$CG" "$WORK/d"
echo x >"$WORK/d/f"

echo "== a daemon without config follows nothing: nothing attached for every task"
"$SLIMZIP" daemon --foreground --state-dir "$STATE" --runtime-dir "$RT" >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do ctl ping >/dev/null 2>&1 && break; sleep 0.1; done
check "(precondition) the daemon answers" ctl ping
check "no syscall hook link (got $(hook_links "$DPID"))" test "$(hook_links "$DPID")" = 0
check "no exec link" test "$(links_of "$DPID" slz_exec)" = 0
run "${CTL[@]}" status --format json
check "status says detached" test "$(jq -r .attached "$WORK/last.out")" = false
run "${CTL[@]}" status
check "ctl status prints it" grep -q "^syscall hook *detached" "$WORK/last.out"

echo "== ctl add: attached before the reply, a command started right after is recorded"
run "${CTL[@]}" add t1 --cgroup "$CG"
check "ctl add (exit $RC)" test "$RC" -eq 0
check "one syscall hook link" test "$(hook_links "$DPID")" = 1
check "one exec link" test "$(links_of "$DPID" slz_exec)" = 1
run "${CTL[@]}" status --format json
check "status says attached" test "$(jq -r .attached "$WORK/last.out")" = true
sh -c 'echo $$ >"$1/cgroup.procs"; exec cat "$2"' sh "$CG" "$WORK/d/f" >/dev/null
run "${CTL[@]}" finish t1
check "ctl finish (exit $RC)" test "$RC" -eq 0
check "the command's file is in t1's profile" grep -q "$WORK/d/f\$" "$STATE/profiles/t1.profile"

echo "== the last target finished: detached"
# The daemon keeps them 2 s (DAEMON_DETACH_LINGER_MS: a stream of short jobs does not attach
# and detach for each), then they close in the background (a tracepoint grace period each).
for _ in $(seq 200); do
	(($(hook_links "$DPID") + $(links_of "$DPID" slz_exec) == 0)) && break
	sleep 0.05
done
check "no syscall hook link after finish" test "$(hook_links "$DPID")" = 0
check "no exec link after finish" test "$(links_of "$DPID" slz_exec)" = 0
run "${CTL[@]}" status --format json
check "status says detached again" test "$(jq -r .attached "$WORK/last.out")" = false
kill -TERM "$DPID"
wait "$DPID" || true
DPID=
e2e_finish
