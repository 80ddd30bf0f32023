#!/usr/bin/env bash
# The daemon with the real program: one daemon (its own state and runtime directories), two
# concurrent record --daemon runs with exact profiles, ctl add of an existing cgroup, a
# [function] pruned to a zip, SIGHUP with a bad config (the old one kept, status says so),
# SIGUSR1 snapshots, a client that is not root refused, a malformed request answered with an
# error while the daemon goes on serving, SIGTERM finishing every target, no map of ours
# left behind, and SIGKILL losing nothing the daemon had consumed (its journal).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

# Inputs: two commands each reading their own files; a tree for a [function].
mkdir -p "$WORK/a" "$WORK/b" "$WORK/c" "$WORK/d" "$WORK/tree/lib"
for f in a/1 a/2 b/1 b/2 b/3 c/1 d/1 tree/used.txt tree/unused.txt tree/lib/also-unused; do
	echo "$f" >"$WORK/$f"
done
cat >"$CONF" <<EOF
[function fn1]
tree = $WORK/tree
output = $WORK/zips/{target}.zip
EOF
mkdir -p "$WORK/zips"

echo "== the daemon starts with one command and answers, and tells the service manager"
# A stand-in for systemd's notify socket (Type=notify): every datagram, one line each, until
# STOPPING=1 or 60 s.
/usr/bin/python3 - "$WORK/notify.sock" "$WORK/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w", buffering=1) as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write(msg.replace("\n", " ") + "\n")
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
NOTIFY=$!
for _ in $(seq 50); do [[ -S $WORK/notify.sock ]] && break; sleep 0.1; done
NOTIFY_SOCKET=$WORK/notify.sock daemon_start --config "$CONF" || true
check "the notify socket got READY=1 with a status" grep -q "^READY=1 STATUS=0 targets live" "$WORK/notify.log"
run "${CTL[@]}" ping
check "ctl ping answers (exit $RC)" test "$RC" -eq 0
check "the socket is root's, mode 0600" test "$(stat -c '%a %u' "$SOCK")" = "600 0"
# The maps the daemon holds, by id (each map fd's fdinfo names it). An fd the daemon closes
# while the glob is read (the ping's connection) makes cat fail: not an error here, and under
# pipefail it would end the script.
ours=$({ cat /proc/"$DPID"/fdinfo/* 2>/dev/null || true; } | awk '$1 == "map_id:" {print $2}' | sort -u)
echo "maps of the daemon: $(echo $ours)"
check "(precondition) the daemon holds maps" test -n "$ours"

echo "== two record --daemon runs of different commands, concurrently"
"$SLIMZIP" record --daemon --socket "$SOCK" --name ra -o "$WORK/ra.profile" -- \
	sh -c 'cat "$1/a/1"; sleep 1; cat "$1/a/2"' sh "$WORK" >"$WORK/ra.out" 2>&1 &
A=$!
"$SLIMZIP" record --daemon --socket "$SOCK" --name rb -o "$WORK/rb.profile" -- \
	sh -c 'cat "$1/b/1"; sleep 1; cat "$1/b/2" "$1/b/3"; exit 7' sh "$WORK" >"$WORK/rb.out" 2>&1 &
B=$!
sleep 0.5
run "${CTL[@]}" list
check "both targets are live at once" bash -c 'grep -q "^ra	live" "$1" && grep -q "^rb	live" "$1"' \
	_ "$WORK/last.out"
RA=0
wait "$A" || RA=$?
RB=0
wait "$B" || RB=$?
check "record --daemon exits with its command's status (0, 7: got $RA, $RB)" \
	test "$RA.$RB" = "0.7"
check "ra's profile holds exactly a/1 a/2" \
	test "$(work_line "$WORK/ra.profile")" = "$WORK/a/1 $WORK/a/2 "
check "rb's profile holds exactly b/1 b/2 b/3" \
	test "$(work_line "$WORK/rb.profile")" = "$WORK/b/1 $WORK/b/2 $WORK/b/3 "
check "the profile is a command's, with its exit status" \
	bash -c 'grep -q "^# target-kind: command" "$1" && grep -q "^# exit-status: 7" "$1"' _ "$WORK/rb.profile"
check "the daemon kept its own copy in the state directory" test -s "$STATE/profiles/ra.profile"

echo "== ctl add of an existing cgroup, a process in it, ctl finish"
CG=$CG_MNT$CG_SELF/slz-e2e-$$
DAEMON_CGROUPS+=("$CG")
mkdir "$CG"
run "${CTL[@]}" add t3 --cgroup "$CG"
check "ctl add follows the cgroup (exit $RC)" test "$RC" -eq 0
run "${CTL[@]}" add t3b --cgroup "$CG"
check "the same cgroup twice is refused: exit 11 (exit $RC)" test "$RC" -eq 11
in_cg "$CG" cat "$WORK/c/1" >/dev/null
run "${CTL[@]}" finish t3
check "ctl finish writes the profile (exit $RC)" test "$RC" -eq 0
check "t3's profile holds exactly c/1" \
	test "$(work_line "$STATE/profiles/t3.profile")" = "$WORK/c/1 "
run "${CTL[@]}" status t3
check "a finished target stays visible in status" grep -q "finished" "$WORK/last.out"
run "${CTL[@]}" finish nosuch
check "ctl finish of no such target: exit 11 (exit $RC)" test "$RC" -eq 11
check "... naming it" grep -q "no target named nosuch" "$WORK/last.err"

echo "== a target a [function] maps is pruned to its zip"
run "$SLIMZIP" record --daemon --socket "$SOCK" --name fn1 -o "$WORK/fn1.profile" -- cat "$WORK/tree/used.txt"
check "record --daemon for fn1 (exit $RC)" test "$RC" -eq 0
check "the zip is written where output = {target} says" test -s "$WORK/zips/fn1.zip"
check "the zip holds used.txt, not unused.txt" \
	bash -c 'unzip -Z1 "$1" | grep -qx used.txt && ! unzip -Z1 "$1" | grep -q unused' _ "$WORK/zips/fn1.zip"
run "${CTL[@]}" status fn1
check "status names the zip" grep -q "^zip  *$WORK/zips/fn1.zip" "$WORK/last.out"

echo "== SIGHUP with a bad config keeps the old one"
cp "$CONF" "$CONF.good"
printf '[daemon]\nmax-targets = 0\n' >>"$CONF"
kill -HUP "$DPID"
sleep 0.5
run "${CTL[@]}" status
check "status says the config was not taken" grep -q "^config error .*max-targets" "$WORK/last.out"
run "${CTL[@]}" ping
check "the daemon still serves (exit $RC)" test "$RC" -eq 0
cp "$CONF.good" "$CONF"
kill -HUP "$DPID"
sleep 0.5
run "${CTL[@]}" status
check "a good config is taken again: no error left" bash -c '! grep -q "^config error" "$1"' _ "$WORK/last.out"

echo "== SIGUSR1 snapshots every live target"
CG2=$CG_MNT$CG_SELF/slz-e2e2-$$
DAEMON_CGROUPS+=("$CG2")
mkdir "$CG2"
run "${CTL[@]}" add t4 --cgroup "$CG2"
sh -c 'echo $$ >"$1/cgroup.procs"; cat "$2/d/1" >/dev/null; exec sleep 30' sh "$CG2" "$WORK" &
SLEEPER=$!
sleep 0.5
kill -USR1 "$DPID"
for _ in $(seq 50); do [[ -s $STATE/profiles/t4@snapshot.profile ]] && break; sleep 0.1; done
check "t4@snapshot.profile is written" test -s "$STATE/profiles/t4@snapshot.profile"
check "the snapshot holds what t4 read so far" grep -q "$WORK/d/1" "$STATE/profiles/t4@snapshot.profile"
run "${CTL[@]}" snapshot t4 -o "$WORK/t4.snap"
check "ctl snapshot -o FILE writes it there (exit $RC)" grep -q "$WORK/d/1" "$WORK/t4.snap"
run "${CTL[@]}" checkpoint t4
check "ctl checkpoint closes epoch 0 into t4.profile (exit $RC)" grep -q "$WORK/d/1" "$STATE/profiles/t4.profile"

echo "== a client that is not root is refused"
chmod 755 "$WORK" "$RT"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLIMZIP" ctl --socket "$SOCK" ping
check "with the socket 0600, nobody cannot connect: exit 4 (exit $RC)" test "$RC" -eq 4
chmod 666 "$SOCK"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLIMZIP" ctl --socket "$SOCK" ping
check "with the socket opened up, SO_PEERCRED refuses nobody: exit 4 (exit $RC)" test "$RC" -eq 4
check "... with PermissionDenied" grep -q "PermissionDenied" "$WORK/last.err"
chmod 600 "$SOCK"

echo "== a malformed request gets an error reply; the daemon goes on serving"
python3 - "$SOCK" >"$WORK/raw.out" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"method": oops\0{"method":"io.slimzip.Nope"}\0{"method":"io.slimzip.Ping"}\0')
buf = b""
while buf.count(b"\0") < 3:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
for m in buf.split(b"\0")[:3]:
    print(m.decode())
EOF
cat "$WORK/raw.out"
check "not JSON: io.slimzip.InvalidRequest" bash -c 'sed -n 1p "$1" | grep -q "\"error\":\"io.slimzip.InvalidRequest\""' _ "$WORK/raw.out"
check "an unknown method: MethodNotFound" bash -c 'sed -n 2p "$1" | grep -q "org.varlink.service.MethodNotFound"' _ "$WORK/raw.out"
check "the same connection still gets its Ping answered" bash -c 'sed -n 3p "$1" | grep -qx "{\"parameters\":{}}"' _ "$WORK/raw.out"
run "${CTL[@]}" ping
check "a new client is served too (exit $RC)" test "$RC" -eq 0

echo "== SIGTERM finishes every target and exits 0"
sh -c 'cat "$1/d/1" >/dev/null' sh "$WORK" # not in t4's cgroup: not its
kill -TERM "$DPID"
DRC=0
wait "$DPID" || DRC=$?
check "the daemon exits 0 (exit $DRC)" test "$DRC" -eq 0
wait "$NOTIFY" || true
check "... having told the notify socket STOPPING=1" grep -q "^STOPPING=1" "$WORK/notify.log"
check "t4's epoch 1 is written as t4@1.profile" test -s "$STATE/profiles/t4@1.profile"
check "the socket is gone" test ! -e "$SOCK"
# The kernel frees a map after its last reference goes, a moment later (deferred work).
for _ in $(seq 50); do
	left=""
	for id in $ours; do
		if bpftool map show id "$id" >/dev/null 2>&1; then left="$left $id"; fi
	done
	[[ -z $left ]] && break
	sleep 0.1
done
check "bpftool shows none of the daemon's maps after (left:${left:- none})" test -z "$left"
kill "$SLEEPER" 2>/dev/null || true
wait "$SLEEPER" 2>/dev/null || true

echo "== SIGKILL mid-run, then a restart: the journal is finished as incomplete"
mkdir -p "$WORK/e" && echo e >"$WORK/e/1" && echo e >"$WORK/e/2"
mkfifo "$WORK/go"
daemon_start --config "$CONF" || true
CG3=$CG_MNT$CG_SELF/slz-e2e3-$$
DAEMON_CGROUPS+=("$CG3")
mkdir "$CG3"
run "${CTL[@]}" add t5 --cgroup "$CG3"
# e/1, then (once the journal shows it) e/2, consumed by ctl status and the daemon killed at
# once: well within a second, so only a journal written before the ring moves on holds e/2.
sh -c 'echo $$ >"$1/cgroup.procs"; cat "$2/e/1" >/dev/null; read -r _ <"$2/go"
	cat "$2/e/2" >/dev/null; : >"$2/e2-read"; exec sleep 30' sh "$CG3" "$WORK" &
SLEEPER=$!
for _ in $(seq 50); do grep -q "$WORK/e/1" "$STATE/journal/t5.journal" 2>/dev/null && break; sleep 0.1; done
check "the live target's journal holds what it read" grep -q "$WORK/e/1" "$STATE/journal/t5.journal"
echo >"$WORK/go"
for _ in $(seq 100); do [[ -e $WORK/e2-read ]] && break; sleep 0.01; done
"${CTL[@]}" status t5 >/dev/null # reads the ring: e/2 is consumed when it answers
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
check "a killed daemon leaves the journal" test -s "$STATE/journal/t5.journal"
daemon_start --config "$CONF" || true
check "the restarted daemon finished it as t5.profile" grep -q "$WORK/e/1" "$STATE/profiles/t5.profile"
check "... with e/2, consumed just before the kill" grep -q "$WORK/e/2" "$STATE/profiles/t5.profile"
check "... marked daemon-restarted: 1" grep -qx "# daemon-restarted: 1" "$STATE/profiles/t5.profile"
check "... and the journal is gone" test ! -e "$STATE/journal/t5.journal"
run "${CTL[@]}" status
check "status counts the recovered journal" grep -q "^recovered  *1 " "$WORK/last.out"
run "$SLIMZIP" prune --tree "$WORK/e" --profile "$STATE/profiles/t5.profile" -o "$WORK/t5.zip"
check "prune refuses it like lost events: exit 3 (exit $RC)" test "$RC" -eq 3
check "... naming the restart" grep -q "daemon that was killed" "$WORK/last.err"
check "... and writes no zip" test ! -e "$WORK/t5.zip"
run "$SLIMZIP" prune --force --tree "$WORK/e" --profile "$STATE/profiles/t5.profile" -o "$WORK/t5.zip"
check "--force prunes it anyway (exit $RC)" test "$RC" -eq 0

echo "== group = on SIGHUP: the socket is 0660 for that group, whose members may connect"
printf '[daemon]\ngroup = nogroup\n' >>"$CONF"
kill -HUP "$DPID"
for _ in $(seq 50); do [[ $(stat -c %a "$SOCK") == 660 ]] && break; sleep 0.1; done
check "the socket is 0660 root:nogroup" test "$(stat -c '%a %U:%G' "$SOCK")" = "660 root:nogroup"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLIMZIP" ctl --socket "$SOCK" ping
check "a member of the group is served (exit $RC)" test "$RC" -eq 0
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$SLIMZIP" ctl --socket "$SOCK" snapshot any -o "/tmp/slz-e2e-snap-$$"
check "... but may not name a file for the daemon to write: exit 4 (exit $RC)" test "$RC" -eq 4
check "... and nothing is written there" test ! -e "/tmp/slz-e2e-snap-$$"
run setpriv --reuid=nobody --regid=54321 --clear-groups "$SLIMZIP" ctl --socket "$SOCK" ping
check "one outside it is not: exit 4 (exit $RC)" test "$RC" -eq 4
cp "$CONF.good" "$CONF"
kill -TERM "$DPID"
DRC=0
wait "$DPID" || DRC=$?
check "the restarted daemon stops cleanly too (exit $DRC)" test "$DRC" -eq 0
kill "$SLEEPER" 2>/dev/null || true
wait "$SLEEPER" 2>/dev/null || true
sed 's/^/  daemon| /' "$WORK/daemon.log"
e2e_finish
