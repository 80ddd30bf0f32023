#!/usr/bin/env bash
# The daemon's prunes run off its loop (issue 10): a target whose prune is slow (the worker's
# test hook SLIMZIP_TEST_PRUNE_DELAY_MS holds each prune 3 s) does not delay ctl status
# replies or another target's finish; status shows it "pruning" until its zip lands; its
# ctl finish answers once the zip is written, with the zip; a checkpoint's reply waits for its
# zip as well; SIGTERM writes the zips still queued before the daemon exits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
now_ms() { date +%s%3N; }
DELAY_MS=3000

mkdir -p "$WORK/tree" "$WORK/zips" "$WORK/other"
echo used >"$WORK/tree/used.txt"
echo unused >"$WORK/tree/unused.txt"
echo other >"$WORK/other/1"
cat >"$CONF" <<EOF
[function slow]
tree = $WORK/tree
output = $WORK/zips/{target}.zip

[function last]
tree = $WORK/tree
output = $WORK/zips/{target}.zip

[function flood]
tree = $WORK/tree
output = $WORK/zips/{target}.zip
EOF

CGS=$CG_MNT$CG_SELF/slz-e2ep-slow-$$
CGO=$CG_MNT$CG_SELF/slz-e2ep-other-$$
CGL=$CG_MNT$CG_SELF/slz-e2ep-last-$$
CGF=$CG_MNT$CG_SELF/slz-e2ep-flood-$$
DAEMON_CGROUPS+=("$CGS" "$CGO" "$CGL" "$CGF")
SLIMZIP_TEST_PRUNE_DELAY_MS=$DELAY_MS daemon_start --config "$CONF" || true
mkdir "$CGS" "$CGO" "$CGL" "$CGF"
run "${CTL[@]}" add slow --cgroup "$CGS"
check "ctl add slow (exit $RC)" test "$RC" -eq 0
run "${CTL[@]}" add other --cgroup "$CGO"
check "ctl add other (exit $RC)" test "$RC" -eq 0
in_cg "$CGS" cat "$WORK/tree/used.txt" >/dev/null
in_cg "$CGO" cat "$WORK/other/1" >/dev/null

echo "== a slow prune holds up nothing else"
T0=$(now_ms)
("${CTL[@]}" finish slow >"$WORK/slow.out" 2>&1; echo $? >"$WORK/slow.rc"; now_ms >"$WORK/slow.ms") &
FIN=$!
for _ in $(seq 50); do ctl status slow 2>/dev/null | grep -q "^state  *pruning" && break; sleep 0.05; done
run "${CTL[@]}" status slow
check "status shows slow pruning while its zip is written" grep -q "^state  *pruning" "$WORK/last.out"
check "... and no zip yet" test ! -e "$WORK/zips/slow.zip"
T1=$(now_ms)
run "${CTL[@]}" status
T2=$(now_ms)
check "ctl status answers at once meanwhile ($((T2 - T1)) ms)" test $((T2 - T1)) -lt 1000
check "... counting the zip being written" grep -q "^zips .*1 being written" "$WORK/last.out"
T1=$(now_ms)
run "${CTL[@]}" finish other
T2=$(now_ms)
check "another target finishes meanwhile (exit $RC, $((T2 - T1)) ms)" \
	test "$RC" -eq 0 -a $((T2 - T1)) -lt 1000
check "... with its profile" grep -q "$WORK/other/1" "$STATE/profiles/other.profile"
check "(precondition) slow's zip is still being written" test ! -e "$WORK/zips/slow.zip"
run "${CTL[@]}" add slow --cgroup "$CGO"
check "its name is not taken while its zip is written: exit 11 (exit $RC)" test "$RC" -eq 11
check "... saying why" grep -q "target slow is finished but its zip is still being written" "$WORK/last.err"
run "${CTL[@]}" status slow
check "... and slow is still there, pruning" grep -q "^state  *pruning" "$WORK/last.out"
wait "$FIN"
check "ctl finish slow answers once its zip is written (exit $(cat "$WORK/slow.rc"))" \
	test "$(cat "$WORK/slow.rc")" -eq 0
check "... after the slow prune ($(($(cat "$WORK/slow.ms") - T0)) ms >= $DELAY_MS)" \
	test $(($(cat "$WORK/slow.ms") - T0)) -ge "$DELAY_MS"
check "... naming the zip" grep -q "^zip $WORK/zips/slow.zip" "$WORK/slow.out"
check "the zip holds used.txt, not unused.txt" \
	bash -c 'unzip -Z1 "$1" | grep -qx used.txt && ! unzip -Z1 "$1" | grep -q unused' _ "$WORK/zips/slow.zip"
run "${CTL[@]}" status slow
check "status: finished, with the zip" \
	bash -c 'grep -q "^state  *finished" "$1" && grep -q "^zip  *$2" "$1"' _ "$WORK/last.out" "$WORK/zips/slow.zip"
run "${CTL[@]}" add slow --cgroup "$CGS"
check "once it is, a new target may take the name (exit $RC)" test "$RC" -eq 0
run "${CTL[@]}" remove slow

echo "== a client that shuts its side after the request still gets the reply that waited"
run "${CTL[@]}" add last --cgroup "$CGL"
in_cg "$CGL" cat "$WORK/tree/used.txt" >/dev/null
python3 - "$SOCK" >"$WORK/raw.out" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"method":"io.slimzip.Checkpoint","parameters":{"name":"last"}}\0{"method":"io.slimzip.Ping"}\0')
s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
for m in buf.split(b"\0")[:2]:
    print(m.decode())
EOF
cat "$WORK/raw.out"
check "the checkpoint's reply names its zip" grep -q "\"zip\":\"$WORK/zips/last.zip\"" "$WORK/raw.out"
check "... and the ping after it is answered after it" \
	bash -c 'sed -n 2p "$1" | grep -qx "{\"parameters\":{}}"' _ "$WORK/raw.out"

echo "== a client that sends on while its reply waits is not read meanwhile"
# Pings sent behind a Finish whose zip takes 3 s: the daemon leaves them in the socket (whose
# buffer fills: the client blocks) instead of reading them into its memory, then answers them
# all, in order, after the Finish.
run "${CTL[@]}" add flood --cgroup "$CGF"
in_cg "$CGF" cat "$WORK/tree/used.txt" >/dev/null
python3 - "$SOCK" >"$WORK/flood.out" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"method":"io.slimzip.Finish","parameters":{"name":"flood"}}\0')
one = b'{"method":"io.slimzip.Ping"}\0'
chunk, pending, total = one * 1024, b"", 0
s.setblocking(False)
t0 = time.time()
while time.time() - t0 < 1.0 and total < (64 << 20):
    pending = pending or chunk
    try:
        n = s.send(pending)
    except BlockingIOError:
        time.sleep(0.01)
        continue
    pending, total = pending[n:], total + n
print("sent-in-1s", total)
s.setblocking(True)
s.settimeout(30)
s.sendall(pending)
total += len(pending)
want = 1 + total // len(one)
buf = b""
while buf.count(b"\0") < want:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    buf += chunk
msgs = buf.split(b"\0")[:-1]
print("replies", len(msgs), "of", want)
print("first", msgs[0].decode() if msgs else "")
print("pings-answered", sum(m == b'{"parameters":{}}' for m in msgs[1:]))
EOF
cat "$WORK/flood.out"
sent=$(awk '$1 == "sent-in-1s" {print $2}' "$WORK/flood.out")
check "the daemon read at most a socket buffer's worth while the zip was written (${sent:-?} bytes)" \
	test "${sent:-99999999}" -lt $((8 << 20))
check "the Finish is answered first, with its zip" grep -q "^first .*\"zip\":\"$WORK/zips/flood.zip\"" "$WORK/flood.out"
check "then every ping" bash -c 'read -r _ n _ w < <(grep ^replies "$1"); test "$n" = "$w" &&
	grep -qx "pings-answered $((w - 1))" "$1"' _ "$WORK/flood.out"
run "${CTL[@]}" ping
check "the daemon serves on (exit $RC)" test "$RC" -eq 0

echo "== SIGTERM writes the zips still queued before the daemon exits"
in_cg "$CGL" cat "$WORK/tree/unused.txt" >/dev/null
rm -f "$WORK/zips/last@1.zip"
T0=$(now_ms)
kill -TERM "$DPID"
DRC=0
wait "$DPID" || DRC=$?
T1=$(now_ms)
check "the daemon exits 0 (exit $DRC)" test "$DRC" -eq 0
check "... once the last zip is written ($((T1 - T0)) ms >= $DELAY_MS)" test $((T1 - T0)) -ge "$DELAY_MS"
check "last's epoch 1 zip is there" test -s "$WORK/zips/last@1.zip"
check "... holding what epoch 1 read" bash -c 'unzip -Z1 "$1" | grep -qx unused.txt' _ "$WORK/zips/last@1.zip"
check "the log says it waited for it" grep -q "waiting for 1 zips" "$WORK/daemon.log"
sed 's/^/  daemon| /' "$WORK/daemon.log"
e2e_finish
