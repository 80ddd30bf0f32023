#!/usr/bin/env bash
# The daemon attaches the programs every task runs (its syscall hook's, sched_process_exec) only
# while it follows something (issue 10, "Cost"): started with an empty config it holds no link
# to them, ctl add makes one each, ctl finish of the last target takes them away again. The
# kernel's view is read: the daemon's bpf_link fds and the program each one runs (bpftool).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
# hook_links PID: links of the syscall hook, whichever the recorder chose (tp_btf/sys_exit, or
# the per-syscall tracepoints, of which sys_exit_openat stands for all: one link each).
hook_links() { echo $(($(links_of "$1" slz_sys_exit) + $(links_of "$1" slz_openat))); }
# exec_links PID: links of the hook's exec program (slz_exec, or slz_exec_note beside sys_exit).
exec_links() { echo $(($(links_of "$1" slz_exec) + $(links_of "$1" slz_exec_note))); }
# links_of PID PROG: how many bpf_link fds of PID run the program named PROG.
links_of() { bpf_fds_of "$1" bpf_link "$2"; }
CG=$CG_MNT$CG_SELF/slz-e2e-attach-$$
DAEMON_CGROUPS+=("$CG")
mkdir "$CG" "$WORK/d"
echo x >"$WORK/d/f"

echo "== a daemon without config follows nothing: nothing attached for every task"
daemon_start || true
check "(precondition) the daemon answers" ctl ping
check "no syscall hook link (got $(hook_links "$DPID"))" test "$(hook_links "$DPID")" = 0
check "no exec link" test "$(exec_links "$DPID")" = 0
run "${CTL[@]}" status --format json
check "status says detached" test "$(jq -r .attached "$WORK/last.out")" = false
run "${CTL[@]}" status
check "ctl status prints it" grep -q "^syscall hook *detached" "$WORK/last.out"

echo "== ctl add: attached before the reply, a command started right after is recorded"
run "${CTL[@]}" add t1 --cgroup "$CG"
check "ctl add (exit $RC)" test "$RC" -eq 0
check "one syscall hook link" test "$(hook_links "$DPID")" = 1
check "one exec link" test "$(exec_links "$DPID")" = 1
run "${CTL[@]}" status --format json
check "status says attached" test "$(jq -r .attached "$WORK/last.out")" = true
in_cg "$CG" cat "$WORK/d/f" >/dev/null
run "${CTL[@]}" finish t1
check "ctl finish (exit $RC)" test "$RC" -eq 0
check "the command's file is in t1's profile" grep -q "$WORK/d/f\$" "$STATE/profiles/t1.profile"

echo "== the last target finished: detached"
# The daemon keeps them 2 s (DAEMON_DETACH_LINGER_MS: a stream of short jobs does not attach
# and detach for each), then they close in the background (a tracepoint grace period each).
for _ in $(seq 200); do
	(($(hook_links "$DPID") + $(exec_links "$DPID") == 0)) && break
	sleep 0.05
done
check "no syscall hook link after finish" test "$(hook_links "$DPID")" = 0
check "no exec link after finish" test "$(exec_links "$DPID")" = 0
run "${CTL[@]}" status --format json
check "status says detached again" test "$(jq -r .attached "$WORK/last.out")" = false
daemon_stop
e2e_finish
