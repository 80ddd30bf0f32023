# shellcheck shell=bash
# Helpers of the signal tests (sourced after lib.sh): start slimzip in the background, wait for
# conditions with a deadline, find a process's cgroup. Every wait is bounded, and whatever a
# failed test leaves running is killed at exit.

BG_PIDS=()
# Kill what a test started and did not reap, and what runs in the cgroups of those it started:
# a failure (or slimzip without the fixes) must not leave a sleeper behind.
signals_cleanup() {
	local p cg
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${BG_PIDS[@]}"; do
		for cg in "${OWN_CG:-$CG2MNT}"/slimzip-"$p"-*; do
			[[ -d $cg ]] || continue
			echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
			wait_until 5 bash -c '! grep -q "populated 1" "$1/cgroup.events"' _ "$cg" || true
			rmdir "$cg" 2>/dev/null || true
		done
	done
	signals_leave_cgroup
}
trap 'signals_cleanup; [[ ${SLIMZIP_KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"' EXIT

# bg NAME COMMAND...: start COMMAND in the background (output in $WORK/NAME.out/.err); BG is
# its pid. Run it in the script's own shell (not a subshell), so that BG is slimzip itself.
bg() {
	local name=$1
	shift
	echo "\$ $* &"
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	BG=$!
	BG_PIDS+=("$BG")
}

# wait_until SECONDS COMMAND...: true as soon as COMMAND succeeds, false after SECONDS.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# finish PID SECONDS NAME: wait for the background slimzip PID to exit within SECONDS; RC gets
# its status (or 999 when it had to be killed), its output is shown.
finish() {
	local pid=$1 secs=$2 name=$3
	RC=0
	if ! wait_until "$secs" gone "$pid"; then
		echo "  (still running after ${secs}s: killed)"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		RC=999
	else
		wait "$pid" 2>/dev/null || RC=$?
	fi
	sed 's/^/  | /' "$WORK/$name.out" "$WORK/$name.err"
	echo "  exit $RC"
}

# The cgroup v2 mount point, and the cgroup directory of PID.
CG2MNT=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo)
cgroup_of() {
	local rel
	rel=$(sed -n 's/^0:://p' "/proc/$1/cgroup") || return 1
	echo "$CG2MNT$rel"
}

# The pid in a file a workload wrote, once it is there.
pid_in() {
	wait_until 10 test -s "$1" || return 1
	cat "$1"
}

# The test's own cgroup. A killed slimzip's cgroup is stale by definition (its owner is dead,
# its lock free), and every slimzip sweeps the stale ones of its own cgroup before it makes
# one: a test that checks what a killed run left, while other suites run slimzips in the same
# cgroup, would see them swept before it looks. So the test moves its shell into a cgroup of
# its own (named outside the sweep's slimzip- prefix): everything it starts is in there, and
# so are the cgroups its slimzips make and sweep; no other run's sweep reaches them.
OWN_CG=
signals_own_cgroup() {
	local parent
	parent=$(cgroup_of $$) || return 1
	OWN_CG=$parent/slz-e2e-own-$$
	OWN_PARENT=$parent
	mkdir "$OWN_CG"
	echo $$ >"$OWN_CG/cgroup.procs"
	echo "this test runs in its own cgroup $OWN_CG"
}
# Back to the parent, then the own cgroup goes with whatever is still in it.
signals_leave_cgroup() {
	[[ -n $OWN_CG && -d $OWN_CG ]] || return 0
	echo $$ >"$OWN_PARENT/cgroup.procs" 2>/dev/null || true
	echo 1 >"$OWN_CG/cgroup.kill" 2>/dev/null || true
	wait_until 5 bash -c '! grep -q "populated 1" "$1/cgroup.events"' _ "$OWN_CG" || true
	find "$OWN_CG" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
	rmdir "$OWN_CG" 2>/dev/null || true
}
signals_own_cgroup
