#!/usr/bin/env bash
# verify's extraction: a total size cap (default: the larger of the tree's size and Lambda's
# 262,144,000 bytes; --max-extract BYTES), every entry held to its declared size and CRC, and
# the copy made beside the zip (or in --extract-dir DIR), never left behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/tree
mkdir -p "$tree" "$WORK/out" "$WORK/elsewhere" "$WORK/tmp"
head -c 1048576 /dev/zero | tr '\0' 'a' >"$tree/data.bin"
echo hi >"$tree/small.txt"
printf '# slimzip profile v1\n# boot-id: -\n' >"$WORK/empty.profile"
export TMPDIR=$WORK/tmp
zip=$WORK/out/good.zip
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep '**' -o "$zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0

# leftovers DIR: verify's temp directories left in DIR.
leftovers() { find "$1" -maxdepth 1 -name '*slimzip-verify-*' | wc -l; }

# The copy lies beside the zip while the workload runs (it lists the zip's directory).
run "$SLIMZIP" verify "$zip" --tree "$tree" -- /bin/ls -a "$WORK/out"
check "verify passes (exit $RC)" test "$RC" -eq 0
check "the zip was extracted beside itself" grep -q '^slimzip-verify-' "$WORK/last.out"
check "nothing is left beside the zip" test "$(leftovers "$WORK/out")" -eq 0
check "nothing went to TMPDIR" test -z "$(ls -A "$WORK/tmp")"
run "$SLIMZIP" verify "$zip" --tree "$tree" --extract-dir "$WORK/elsewhere" -- /bin/ls -a "$WORK/elsewhere"
check "verify --extract-dir passes (exit $RC)" test "$RC" -eq 0
check "--extract-dir DIR is where the copy was made" grep -q '^slimzip-verify-' "$WORK/last.out"
check "nothing is left in DIR" test "$(leftovers "$WORK/elsewhere")" -eq 0
run "$SLIMZIP" verify "$zip" --tree "$tree" --extract-dir "$WORK/nothere" -- true
check "--extract-dir of no directory is a bad argument (exit $RC)" test "$RC" -eq 2

# The cap: below the zip's size it is refused before anything is written.
run "$SLIMZIP" verify "$zip" --tree "$tree" --max-extract 1000 -- true
check "a zip over --max-extract is refused (exit $RC)" test "$RC" -eq 6
check "the refusal says how much and how to raise it" \
	grep -q "would extract to 1048579 bytes, more than the 1000 allowed.*--max-extract" "$WORK/last.err"
check "nothing is left beside the zip" test "$(leftovers "$WORK/out")" -eq 0
run "$SLIMZIP" verify "$zip" --tree "$tree" --max-extract 0 -- true
check "--max-extract 0 is a bad argument (exit $RC)" test "$RC" -eq 2

# Hostile zips of the tree's own names: one declaring 3 GiB (a bomb, by the default cap), one
# whose data.bin inflates to 1 MiB while it says 10 bytes, one with a wrong CRC.
/usr/bin/python3 -S - "$tree" "$WORK/out" <<'PY'
import io, struct, sys, zipfile
tree, out = sys.argv[1], sys.argv[2]
def build(method):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', method) as z:
        z.write(tree + '/small.txt', 'small.txt')
        z.write(tree + '/data.bin', 'data.bin')
    return bytearray(b.getvalue())
def patch(b, size=None, crcx=0):
    i = b.find(b'PK\x01\x02')
    while b[i + 46:i + 46 + 8] != b'data.bin':
        i = b.find(b'PK\x01\x02', i + 4)
    lo = struct.unpack_from('<I', b, i + 42)[0]
    crc = struct.unpack_from('<I', b, i + 16)[0] ^ crcx
    struct.pack_into('<I', b, i + 16, crc)
    struct.pack_into('<I', b, lo + 14, crc)
    if size is not None:
        struct.pack_into('<I', b, i + 24, size)
        struct.pack_into('<I', b, lo + 22, size)
    return b
open(out + '/bomb.zip', 'wb').write(patch(build(zipfile.ZIP_DEFLATED), size=3 << 30))
open(out + '/liar.zip', 'wb').write(patch(build(zipfile.ZIP_DEFLATED), size=10))
open(out + '/crc.zip', 'wb').write(patch(build(zipfile.ZIP_STORED), crcx=1))
PY
run "$SLIMZIP" verify "$WORK/out/bomb.zip" --tree "$tree" -- true
check "a zip declaring 3 GiB is refused by the default cap (exit $RC)" test "$RC" -eq 6
check "the default cap is Lambda's unzipped limit" grep -q "more than the 262144000 allowed" "$WORK/last.err"
run "$SLIMZIP" verify "$WORK/out/liar.zip" --tree "$tree" -- true
check "an entry holding more than it declares is refused (exit $RC)" test "$RC" -eq 6
check "the message names it" grep -q "data.bin holds more than the 10 bytes it declares" "$WORK/last.err"
run "$SLIMZIP" verify "$WORK/out/crc.zip" --tree "$tree" -- true
check "an entry with a wrong CRC is refused (exit $RC)" test "$RC" -eq 6
check "the message names it" grep -q "data.bin is corrupt" "$WORK/last.err"
check "no damaged copy is left beside the zips" test "$(leftovers "$WORK/out")" -eq 0

# A zip directory that takes no new file: refused before any work, as an output.
ro=$WORK/ro
mkdir -p "$ro" && cp "$zip" "$ro/good.zip"
run unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$2" verify "$1/good.zip" --tree "$3" -- true' _ "$ro" "$SLIMZIP" "$tree"
check "a read-only zip directory is an output error (exit $RC)" test "$RC" -eq 7
check "the message suggests --extract-dir" grep -q -- "--extract-dir DIR" "$WORK/last.err"
e2e_finish
