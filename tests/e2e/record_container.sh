#!/usr/bin/env bash
# record --pid and --container (issue 12) through the binary: the option errors; --container
# with a stub docker on PATH that names a process this test started in a cgroup of its own
# (the cgroup logic is real), then with a real podman container made from a local
# busybox-static rootfs when podman can run here; --pid's process-tree note on stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

echo "== option errors"
run "$SLIMZIP" record --pid abc -o "$WORK/x.profile"
check "--pid abc exits 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" record --pid 2147483646 -o "$WORK/x.profile"
check "--pid of no process exits 2 (exit $RC)" test "$RC" -eq 2
check "... naming the pid" grep -q "no process 2147483646 is running" "$WORK/last.err"
check "... and writes no profile" test ! -e "$WORK/x.profile"
run "$SLIMZIP" record --pid 1 -- true
check "--pid with a command exits 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" record --pid 1 --wait-children
check "--wait-children with --pid exits 2 (exit $RC)" test "$RC" -eq 2
run "$SLIMZIP" record --wait-timeout 5 -- true
check "--wait-timeout without --wait-children exits 2 (exit $RC)" test "$RC" -eq 2
run env PATH="$WORK/empty" "$SLIMZIP" record --container web
check "--container with no docker or podman exits 2 (exit $RC)" test "$RC" -eq 2
check "... saying so" grep -q "no docker or podman on PATH to ask about container 'web'" \
	"$WORK/last.err"

# record_until_done PROFILE ARGS...: run record in the background, wait until it records
# (a SIGUSR1 snapshot appears only from its event loop, so once PROFILE exists every target is
# followed), then release the workload (touch $GO) and wait for record to end.
record_until_done() {
	local out=$1 spid i
	shift
	rm -f "$out"
	"$SLIMZIP" record -o "$out" "$@" >"$WORK/rec.out" 2>"$WORK/rec.err" &
	spid=$!
	# SIGUSR1 only once record reads it from its signalfd: before that it would kill it (a
	# blocked mask inherited from the caller proves nothing: slimzip's main resets it).
	for ((i = 0; i < 600; i++)); do
		find "/proc/$spid/fd" -lname 'anon_inode:*signalfd*' 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	for ((i = 0; i < 600; i++)); do
		[[ -s $out ]] && break
		kill -USR1 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	touch "$GO"
	RC=0
	wait "$spid" || RC=$?
	sed 's/^/  | /' "$WORK/rec.err"
}

echo "== --container with a stub docker: the container's cgroup"
own=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
mnt=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
CG=${mnt%/}${own%/}/slimzip-e2e-ctr-$$
mkdir "$CG"
BG=() # the workloads started here: killed at exit, so none waits for a go file forever
cleanup() {
	set +e # kill and rmdir of what is gone already fail, and must not change the status
	((${#BG[@]})) && kill -9 "${BG[@]}" 2>/dev/null
	xargs -r kill -9 <"$CG/cgroup.procs" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		rmdir "$CG" 2>/dev/null && break
		[[ -d $CG ]] || break
		sleep 0.05
	done
	[[ ${SLIMZIP_KEEP_WORK:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
GO=$WORK/go
echo x >"$WORK/inside"
echo x >"$WORK/outside"
sh -c 'echo $$ > "$1/cgroup.procs"; exec sh -c "while [ ! -e \"\$0\" ]; do sleep 0.02; done; cat \"\$1\" >/dev/null" "$2" "$3"' \
	_ "$CG" "$GO" "$WORK/inside" &
ctr=$!
BG+=("$ctr")
sh -c 'while [ ! -e "$0" ]; do sleep 0.02; done; cat "$1" >/dev/null' "$GO" "$WORK/outside" &
other=$!
BG+=("$other")
mkdir -p "$WORK/bin"
printf '#!/bin/sh\n[ "$1 $2 $3 $4" = "inspect --format {{.State.Pid}} web" ] || { echo "Error: No such object: $4" >&2; exit 1; }\necho %s\n' \
	"$ctr" >"$WORK/bin/docker"
chmod +x "$WORK/bin/docker"
for ((i = 0; i < 100; i++)); do grep -qx "$ctr" "$CG/cgroup.procs" && break; sleep 0.02; done
PATH="$WORK/bin:$PATH" record_until_done "$WORK/ctr.profile" --container web
check "record --container exits 0 once the container's init exits (exit $RC)" test "$RC" -eq 0
check "its target is the container's cgroup" grep -qx "# target: $CG" "$WORK/ctr.profile"
check "the container's file is in the profile" grep -q " $WORK/inside\$" "$WORK/ctr.profile"
check "a file of a process outside the container is not" \
	bash -c "! grep -q ' $WORK/outside\$' '$WORK/ctr.profile'"
wait "$other" || true
run env PATH="$WORK/bin:$PATH" "$SLIMZIP" record --container nosuch
check "an unknown container exits 2 (exit $RC)" test "$RC" -eq 2
check "... naming it and the tool's answer" grep -q "no container 'nosuch' is known to docker (Error: No such object: nosuch)" "$WORK/last.err"

echo "== --pid in a shared cgroup: the process tree, said on stderr"
rm -f "$GO"
sh -c 'while [ ! -e "$0" ]; do sleep 0.02; done; sh -c "cat \"\$0\" >/dev/null" "$1"' "$GO" "$WORK/inside" &
tpid=$!
BG+=("$tpid")
record_until_done "$WORK/pid.profile" --pid "$tpid" --json "$WORK/pid.json"
check "record --pid exits 0 (exit $RC)" test "$RC" -eq 0
check "it says it follows the process tree" grep -q "following pid $tpid and its children: its cgroup .* also holds [0-9]* other process" "$WORK/rec.err"
check "the child's file is in the profile" grep -q " $WORK/inside\$" "$WORK/pid.profile"
check "its target-kind is process" grep -qx "# target-kind: process" "$WORK/pid.profile"
check "--json: kind process, no cgroup, the process named" test "$(jq -c '.target | [.kind, .cgroup, .process]' "$WORK/pid.json")" = "[\"process\",null,\"pid $tpid and its descendants\"]"

echo "== --container with a real podman container"
podman_ok() {
	command -v podman >/dev/null && command -v runc >/dev/null && [[ -x /bin/busybox ]] || return 1
	local root=$WORK/rootfs
	mkdir -p "$root/bin" "$root/data"
	cp /bin/busybox "$root/bin/"
	for c in sh sleep cat; do ln -sf busybox "$root/bin/$c"; done
	tar -C "$root" -cf "$WORK/rootfs.tar" . &&
		podman import -q "$WORK/rootfs.tar" localhost/slimzip-e2e-busybox >/dev/null 2>&1
}
if podman_ok; then
	name=slimzip-e2e-$$
	mkdir -p "$WORK/share"
	echo x >"$WORK/share/file"
	GO=$WORK/share/go
	# The host's limits: crun/runc may not raise them here (no CAP_SYS_RESOURCE in this VM).
	if podman run --runtime runc -d --name "$name" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 -v "$WORK/share:/data" localhost/slimzip-e2e-busybox \
		/bin/sh -c 'while [ ! -e /data/go ]; do sleep 0.02; done; cat /data/file' \
		>"$WORK/podman.out" 2>&1; then
		record_until_done "$WORK/podman.profile" --container "$name"
		check "record --container (podman) exits 0 (exit $RC)" test "$RC" -eq 0
		check "its target is the container's own cgroup" \
			grep -q "^# target: .*libpod-" "$WORK/podman.profile"
		check "the file the container read is in the profile" \
			grep -q " /data/file\$" "$WORK/podman.profile"
	else
		sed 's/^/  | /' "$WORK/podman.out"
		echo "note: podman cannot run a container here: checked with the stub docker only"
	fi
	podman rm -f "$name" >/dev/null 2>&1 || true
	podman rmi -f localhost/slimzip-e2e-busybox >/dev/null 2>&1 || true
else
	echo "note: podman, runc or busybox-static missing (scripts/setup): stub docker only"
fi

e2e_finish
