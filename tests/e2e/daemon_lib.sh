# shellcheck shell=bash
# Shared by the end-to-end tests that run a daemon (sourced after lib.sh, e2e_require_root and
# e2e_workdir): its directories and socket below $WORK, ctl, starting it and waiting until it
# answers, cgroups the test makes below its own, what a profile holds below $WORK, and the BPF
# objects a process holds. The EXIT trap it sets kills the daemon, removes the cgroups listed
# in DAEMON_CGROUPS (with everything below them) and $WORK; a test with more to clean up
# defines daemon_cleanup_more, which runs first.

STATE=$WORK/state
RT=$WORK/run
SOCK=$RT/control
CONF=$WORK/daemon.conf
CTL=("$SLIMZIP" ctl --socket "$SOCK")
ctl() { "${CTL[@]}" "$@"; }
DPID=
DAEMON_CGROUPS=()

# The cgroup v2 mount and this shell's cgroup below it (no trailing slash): the test's
# cgroups go below "$CG_MNT$CG_SELF", and "$CG_SELF/x" is how the daemon's config names one.
CG_MNT=$(findmnt -t cgroup2 -n -o TARGET | head -1)
CG_SELF=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
CG_SELF=${CG_SELF%/}

daemon_cleanup() {
	set +e
	declare -F daemon_cleanup_more >/dev/null && daemon_cleanup_more
	[[ -n $DPID ]] && kill -KILL "$DPID" 2>/dev/null
	# A task that has just exited may keep its cgroup busy a moment on a loaded host.
	local d busy
	for _ in $(seq 50); do
		busy=0
		for d in "${DAEMON_CGROUPS[@]}"; do
			[[ -d $d ]] || continue
			find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			rmdir "$d" 2>/dev/null || busy=1
		done
		((busy)) || break
		sleep 0.1
	done
	[[ ${SLIMZIP_KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"
}
trap daemon_cleanup EXIT

# daemon_start [ARGS...]: the daemon in the foreground of a background job, on $STATE, $RT and
# $WORK/daemon.log (appended: a test may start several in turn), DPID its pid; returns once
# ctl ping answers (1 after 10 s). Environment for the daemon goes before the call
# (VAR=value daemon_start ...), a state directory of its own as STATE=DIR daemon_start ....
daemon_start() {
	"$SLIMZIP" daemon --foreground --state-dir "$STATE" --runtime-dir "$RT" "$@" \
		>>"$WORK/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		ctl ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# daemon_stop: SIGTERM and wait for the daemon to exit (it finishes every target first).
daemon_stop() {
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=
}

# work_paths PROFILE: the paths below $WORK the profile holds (its path column), sorted, one a
# line; work_line PROFILE: the same on one line, each followed by a space.
work_paths() { awk -v w="$WORK/" '!/^#/ && index($NF, w) == 1 {print $NF}' "$1" | sort -u; }
work_line() { work_paths "$1" | tr '\n' ' '; }

# wait_file FILE: until FILE exists and is not empty (1 after 10 s).
wait_file() {
	for _ in $(seq 100); do
		[[ -s $1 ]] && return 0
		sleep 0.1
	done
	return 1
}

# in_cg CGDIR CMD...: run CMD inside the cgroup (the shell moves itself there, then execs it).
in_cg() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" "$@"
}

# bpf_fds_of PID TYPE PROG: how many fds of PID of TYPE (bpf_link or bpf-prog, as readlink shows
# anon_inode:TYPE) hold the program named PROG (bpftool's name).
bpf_fds_of() {
	local pid=$1 type=$2 prog=$3 n=0 fd id
	for fd in /proc/"$pid"/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == "anon_inode:$type" ]] || continue
		id=$(awk '$1 == "prog_id:" {print $2}' /proc/"$pid"/fdinfo/"${fd##*/}" 2>/dev/null || true)
		[[ -n $id ]] || continue
		[[ $(bpftool prog show id "$id" -j | jq -r .name) == "$prog" ]] && n=$((n + 1))
	done
	echo "$n"
}
