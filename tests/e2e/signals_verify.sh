#!/usr/bin/env bash
# verify and signals: SIGTERM or SIGINT to verify stops it at once with 128+N, runs the command
# no second time (no diagnosis run, no --fix round) and leaves no temp directory; a SIGKILLed
# verify leaves no running command, and the next verify removes the temp directory and cgroup
# it left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
source "$(dirname "${BASH_SOURCE[0]}")/signals_lib.sh"
set -m # background commands keep the default SIGINT

tree=$WORK/task
mkdir -p "$tree" "$WORK/tmp"
echo keep >"$tree/keep.txt"
echo need >"$tree/need.txt"
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
zip=$WORK/out.zip
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$zip" --keep keep.txt
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
# verify extracts into --extract-dir: a directory of this test's own, to see what is left there.
export TMPDIR=$WORK/tmp
starts=$WORK/starts

# A workload that notes each start, and fails (need.txt is not in the zip) if it ever ends.
workload=(sh -c 'echo start >>"$1"; cat "$2" >/dev/null; sleep 30' sh "$starts" "$tree/need.txt")
cp "$zip" "$WORK/before.zip"

for sig in TERM INT; do
	code=$((128 + $(kill -l "$sig")))
	for fix in "" --fix; do
		echo "== SIG$sig to verify ${fix:-without --fix} during the proof run"
		rm -f "$starts"
		bg verify "$SLIMZIP" verify "$zip" --tree "$tree" --extract-dir "$TMPDIR" $fix -- "${workload[@]}"
		wait_until 10 test -s "$starts" || true
		t0=$SECONDS
		kill "-$sig" "$BG"
		finish "$BG" 20 verify
		check "verify ${fix:-without --fix} exits $code on SIG$sig (exit $RC)" test "$RC" -eq "$code"
		check "it stopped at once ($((SECONDS - t0))s, the command sleeps 30s)" \
			test $((SECONDS - t0)) -lt 10
		check "the command ran once: no diagnosis run ($(wc -l <"$starts") starts)" \
			test "$(wc -l <"$starts")" -eq 1
		check "it says it was interrupted" grep -q "interrupted by signal" "$WORK/verify.err"
		check "no --fix round: the zip is unchanged" cmp -s "$zip" "$WORK/before.zip"
		check "no temp directory is left in TMPDIR" test -z "$(ls -A "$TMPDIR")"
	done
done

echo "== SIGKILL of verify: the command dies with it, the next verify cleans up"
bg verify "$SLIMZIP" verify "$zip" --tree "$tree" --extract-dir "$TMPDIR" -- \
	sh -c 'echo $$ >"$1"; exec sleep 100' sh "$WORK/cmd.pid"
cmdpid=$(pid_in "$WORK/cmd.pid")
BG_PIDS+=("$cmdpid")
vpid=$BG
cg=$(cgroup_of "$cmdpid")
kill -KILL "$vpid"
finish "$vpid" 10 verify
check "the command dies with verify" wait_until 5 gone "$cmdpid"
left=$(ls -d "$TMPDIR"/slimzip-verify-"$vpid"-* 2>/dev/null || true)
check "(precondition) the killed verify left its temp directory, named with its pid" \
	test -n "$left"
check "(precondition) and its cgroup $cg" test -d "$cg"
run "$SLIMZIP" verify "$zip" --tree "$tree" --extract-dir "$TMPDIR" -- cat "$tree/keep.txt"
check "the next verify passes (exit $RC)" test "$RC" -eq 0
check "it removed the killed verify's temp directory" \
	bash -c '! ls -d "$1"/slimzip-verify-"$2"-* 2>/dev/null' _ "$TMPDIR" "$vpid"
check "and its cgroup" test ! -e "$cg"
check "nothing else is left in TMPDIR" test -z "$(ls -A "$TMPDIR")"
e2e_finish
