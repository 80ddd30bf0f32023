#!/usr/bin/env bash
# verify extracts the zip onto a tmpfs of its own, mounted on its directory beside the zip (or
# in --extract-dir) when memory allows: the workload reads its tree from memory, the copy is
# gone with one umount, and a SIGKILLed verify's mounted copy is swept, mount and all, by the
# next verify. What the workload sees and what verify decides are as before.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
source "$(dirname "${BASH_SOURCE[0]}")/signals_lib.sh"
set -m

tree=$WORK/tree
mkdir -p "$tree/pkg" "$WORK/out" "$WORK/elsewhere"
head -c 300000 /dev/urandom >"$tree/pkg/blob.bin"
echo hi >"$tree/small.txt"
printf '# slimzip profile v1\n# boot-id: -\n' >"$WORK/empty.profile"
zip=$WORK/out/t.zip
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep '**' -o "$zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0

# mounts: verify's tmpfs mounts left anywhere.
mounts() { awk -v w="$WORK/" '$1 == "slimzip-verify" && index($2, w) == 1' /proc/mounts | wc -l; }
before=0
fstype() { stat -f -c %T "$1"; }
own=$(fstype "$WORK/out")

for dir in "" "$WORK/elsewhere"; do
	cp "$tree/pkg/blob.bin" "$WORK/blob.copy"
	run "$SLIMZIP" verify "$zip" --tree "$tree" ${dir:+--extract-dir "$dir"} -- \
		sh -c 'stat -f -c %T "$1"; cat "$1/small.txt"; cmp "$1/pkg/blob.bin" "$2"' sh \
		"$tree" "$WORK/blob.copy"
	check "verify ${dir:+--extract-dir }passes (exit $RC)" test "$RC" -eq 0
	check "the workload read its tree from a tmpfs (the zip's directory is $own)" \
		grep -qx tmpfs "$WORK/last.out"
	check "the copy is the zip's" grep -qx hi "$WORK/last.out"
	check "no mount is left" test "$(mounts)" -eq "$before"
	check "no directory is left" test -z "$(find "$WORK/out" "$WORK/elsewhere" -name 'slimzip-verify-*')"
	rm -f "$WORK/blob.copy"
done

echo "== too little memory: plain directories beside the zip, the same verdict"
# SLIMZIP_TEST_MEM_AVAILABLE (tests only) stands for a host with 1 MiB available.
if [[ $own == tmpfs ]]; then
	echo "skip: $WORK is itself on a tmpfs, the fallback cannot be told apart"
else
	cp "$tree/pkg/blob.bin" "$WORK/blob.copy"
	SLIMZIP_TEST_MEM_AVAILABLE=1048576 run "$SLIMZIP" verify "$zip" --tree "$tree" -- \
		sh -c 'stat -f -c %T "$1"; cat "$1/small.txt"; cmp "$1/pkg/blob.bin" "$2"' sh \
		"$tree" "$WORK/blob.copy"
	check "verify passes without the memory (exit $RC)" test "$RC" -eq 0
	check "the workload read its tree from the zip's filesystem ($own), not a tmpfs" \
		grep -qx "$own" "$WORK/last.out"
	check "the copy is the zip's" grep -qx hi "$WORK/last.out"
	check "no mount was made" test "$(mounts)" -eq "$before"
	check "no directory is left" test -z "$(find "$WORK/out" -name 'slimzip-verify-*')"
	rm -f "$WORK/blob.copy"
fi

echo "== SIGKILL of verify: the next verify removes the mounted copy"
bg verify "$SLIMZIP" verify "$zip" --tree "$tree" -- sh -c 'echo $$ >"$1"; exec sleep 100' sh "$WORK/cmd.pid"
cmdpid=$(pid_in "$WORK/cmd.pid")
BG_PIDS+=("$cmdpid")
vpid=$BG
kill -KILL "$vpid"
finish "$vpid" 10 verify
wait_until 5 gone "$cmdpid" || true
left=$(ls -d "$WORK/out"/slimzip-verify-"$vpid"-* 2>/dev/null || true)
check "(precondition) the killed verify left its copy" test -n "$left"
check "(precondition) mounted" test "$(mounts)" -gt "$before"
run "$SLIMZIP" verify "$zip" --tree "$tree" -- cat "$tree/small.txt"
check "the next verify passes (exit $RC)" test "$RC" -eq 0
check "it removed the killed verify's copy" test ! -e "$left"
check "and its mount" test "$(mounts)" -eq "$before"
e2e_finish
