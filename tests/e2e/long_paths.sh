#!/usr/bin/env bash
# Paths deeper than PATH_MAX (4096 bytes) below the tree: the walk indexes them, so prune zips
# them, verify extracts them, runs the workload on them and leaves no temp directory behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/tree
mkdir -p "$tree" "$WORK/tmp"
printf '# slimzip profile v1\n# boot-id: -\n' >"$WORK/empty.profile"
# 20 directories of 250 bytes: a 5 KB relative path, which no single open() can take.
/usr/bin/python3 -S - "$tree" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
open(os.path.join(sys.argv[1], 'top.txt'), 'w').write('top\n')
for _ in range(20):
    os.mkdir('d' * 250, dir_fd=fd)
    nfd = os.open('d' * 250, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open('deep.txt', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b'deep\n')
os.close(f)
PY
deep="$(printf 'd%.0s' {1..250})"
rel=$(for _ in {1..20}; do printf '%s/' "$deep"; done)deep.txt
# The workload reads the deep file one component at a time, from the tree's absolute path.
cat >"$WORK/read_deep.py" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
parts = sys.argv[2].split('/')
for p in parts[:-1]:
    nfd = os.open(p, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open(parts[-1], os.O_RDONLY, dir_fd=fd)
sys.stdout.write(os.read(f, 100).decode())
PY

zip=$WORK/out/long.zip
mkdir -p "$WORK/out"
export TMPDIR=$WORK/tmp
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep '**' -o "$zip"
check "prune of a tree deeper than PATH_MAX exits 0 (exit $RC)" test "$RC" -eq 0
# unzip -Z1 cuts long names: list them with Python.
names() { /usr/bin/python3 -S -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
check "the zip holds the deep file" bash -c 'grep -qxF "$1"' _ "$rel" < <(names "$zip")
check "the zip holds the shallow file" bash -c 'grep -qx top.txt' < <(names "$zip")

run "$SLIMZIP" verify "$zip" --tree "$tree" -- /usr/bin/python3 -S "$WORK/read_deep.py" "$tree" "$rel"
check "verify extracts and runs the workload on the deep tree (exit $RC)" test "$RC" -eq 0
check "the workload read the deep file from the pruned tree" grep -qx deep "$WORK/last.out"
check "verify leaves no temp directory in TMPDIR" test -z "$(ls -A "$WORK/tmp")"
check "verify leaves no temp directory beside the zip" \
	bash -c '! ls -A "$1" | grep -v "^long.zip$"' _ "$WORK/out"

# Recording the deep file: its path is deeper than the in-kernel walk, so it is truncated (exit
# 3), and the hint names what helps: a buffer size does not.
run "$SLIMZIP" record -o "$WORK/deep.profile" -- /usr/bin/python3 -S "$WORK/read_deep.py" "$tree" "$rel"
check "record of a path deeper than the recorder walks exits 3 (exit $RC)" test "$RC" -eq 3
check "the warning says what helps (--tree-path-as, --keep, a shallower tree)" \
	grep -q "truncated.*--tree-path-as.*--keep.*shallower" "$WORK/last.err"
check "the warning does not suggest --ringbuf-mb for it" bash -c '! grep -q ringbuf "$1"' _ "$WORK/last.err"

# A zip entry name holds at most 65,535 bytes: a deeper path is refused up front, whole message.
/usr/bin/python3 -S - "$tree" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(300):
    n = 'e' * 250 if i else 'toodeep'
    os.mkdir(n, dir_fd=fd)
    nfd = os.open(n, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
os.close(os.open('leaf', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
PY
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep 'toodeep/**' -o "$zip.2"
check "a path longer than a zip name can hold is refused as bad input (exit $RC)" test "$RC" -eq 6
check "the refusal keeps its cause at the end" grep -q "65,535 bytes" "$WORK/last.err"
check "no zip was written" test ! -e "$zip.2"
e2e_finish
