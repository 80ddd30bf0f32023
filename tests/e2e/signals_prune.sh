#!/usr/bin/env bash
# prune and signals: SIGHUP or SIGQUIT while the zip is written stop prune with 128+N and leave
# no temp file (under nohup, SIGHUP stays ignored); a SIGKILL's temp is removed by the next prune writing the same zip, and so is a
# stale temp of any dead pid, but never one of a live pid, one whose lock is held (a writer in
# another pid namespace), one named otherwise or one of another output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
source "$(dirname "${BASH_SOURCE[0]}")/signals_lib.sh"

# Base64 text at level 9: writing the zip takes a while (about 1.3 s here). Not random
# bytes: the deflaters store those after three samples, and the zip was written in 0.09 s,
# too soon for a signal to find it being written.
tree=$WORK/big
mkdir -p "$tree" "$WORK/out"
for i in $(seq 24); do
	head -c 6000000 /dev/urandom | base64 -w0 | head -c 8000000 >"$tree/f$i"
done
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
out=$WORK/out/o.zip
prune=("$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$out" --keep '*'
	--level 9)

# A temp of o.zip with data in it: the zip is being written (the writability check's empty
# temp comes and goes before).
writing() {
	local f
	for f in "$WORK/out"/.o.zip.tmp-*; do
		[[ -s $f ]] && return 0
	done
	return 1
}

for sig in HUP QUIT; do
	code=$((128 + $(kill -l "$sig")))
	echo "== SIG$sig while prune writes the zip"
	rm -f "$WORK"/out/.o.zip.tmp-* "$out"
	bg prune "${prune[@]}"
	check "(precondition) prune is writing the zip" wait_until 20 writing
	kill "-$sig" "$BG"
	finish "$BG" 20 prune
	check "prune exits $code on SIG$sig (exit $RC)" test "$RC" -eq "$code"
	check "it says no zip was written" grep -q "no zip was written" "$WORK/prune.err"
	check "no temp file is left" bash -c '! ls "$1"/.o.zip.tmp-* 2>/dev/null' _ "$WORK/out"
	check "no zip was written" test ! -e "$out"
done

echo "== prune under nohup keeps ignoring SIGHUP"
rm -f "$out"
bg prune nohup "${prune[@]}"
check "(precondition) prune is writing the zip" wait_until 20 writing
kill -HUP "$BG"
finish "$BG" 60 prune
check "prune under nohup finishes after SIGHUP: exit 0 (exit $RC)" test "$RC" -eq 0
check "and writes the zip" test -s "$out"
rm -f "$out"

echo "== SIGKILL while prune writes the zip: the next prune removes the temp"
bg prune "${prune[@]}"
check "(precondition) prune is writing the zip" wait_until 20 writing
kill -KILL "$BG"
killed=$BG
finish "$BG" 20 prune
left=$(ls "$WORK"/out/.o.zip.tmp-"$killed"-* 2>/dev/null || true)
check "(precondition) the killed prune left its temp, named with its pid" test -n "$left"

# More leftovers: a dead pid's, a live pid's, a dead pid's whose lock is held, one of the old
# naming (no pid), and a dead pid's temp of another output.
sleep 300 >/dev/null 2>&1 &
live=$!
BG_PIDS+=("$live")
sh -c 'exit 0' &
dead=$!
wait "$dead"
touch "$WORK/out/.o.zip.tmp-$dead-AbCdEf" "$WORK/out/.o.zip.tmp-$live-AbCdEf" \
	"$WORK/out/.o.zip.tmp-$dead-LoCkEd" "$WORK/out/.o.zip.tmp-OldOne" \
	"$WORK/out/.p.zip.tmp-$dead-AbCdEf"
# This shell holds the lock (the fd stays open until it exits), as a live writer would.
exec {lockfd}<"$WORK/out/.o.zip.tmp-$dead-LoCkEd"
flock -n "$lockfd"

small=$WORK/small
mkdir -p "$small"
echo x >"$small/x"
run "$SLIMZIP" prune --tree "$small" --profile "$WORK/empty.profile" -o "$out" --keep x
check "the next prune exits 0 (exit $RC)" test "$RC" -eq 0
check "it removed the killed prune's temp" test ! -e "$left"
check "it removed the temp of the dead pid $dead" test ! -e "$WORK/out/.o.zip.tmp-$dead-AbCdEf"
check "it kept the temp of the live pid $live" test -e "$WORK/out/.o.zip.tmp-$live-AbCdEf"
check "it kept the dead pid's temp whose lock is held" \
	test -e "$WORK/out/.o.zip.tmp-$dead-LoCkEd"
check "it kept the temp of the old naming" test -e "$WORK/out/.o.zip.tmp-OldOne"
check "it kept another output's temp" test -e "$WORK/out/.p.zip.tmp-$dead-AbCdEf"
check "the zip was written" test -s "$out"
e2e_finish
