#!/usr/bin/env bash
# Names from the tree, a profile or a zip never reach the terminal raw: an escape sequence in a
# file name, a link, a package, a profile's command or a recorded process name is printed
# escaped (\x1b, \x07...), in warnings, the summary, --dry-run, report and verify alike. Kept
# names that are not UTF-8 are warned about and counted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

ESC=$'\e'
BEL=$'\a'
tree=$WORK/tree
mkdir -p "$tree/pkg" "$tree/${ESC}[31mred"
echo x >"$tree/pkg/evil${ESC}]0;pwned${BEL}.txt"
head -c 5000 /dev/zero >"$tree/${ESC}[31mred/big.bin"
ln -s "nowhere${ESC}[2J" "$tree/dang${ESC}[2J"
echo latin1 >"$tree/caf"$'\xe9'".txt" # not UTF-8: unzip tools read it differently
printf '# slimzip profile v1\n# boot-id: -\n' >"$WORK/empty.profile"

# no_raw FILE...: none of them holds an ESC or BEL byte.
no_raw() { ! grep -q "[$ESC$BEL]" "$@"; }

run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep '**' -o "$WORK/out.zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
check "no raw ESC or BEL reaches stdout or stderr" no_raw "$WORK/last.out" "$WORK/last.err"
check "the dangling link is named, escaped, in the warning" \
	grep -qF 'e.g. dang\x1b[2J' "$WORK/last.err"
check "the largest kept package is named, escaped" grep -qF '\x1b[31mred' "$WORK/last.out"
check "a name that is not UTF-8 is warned about, escaped" \
	grep -qF 'warning: 1 kept name is not valid UTF-8 (caf\xe9.txt)' "$WORK/last.err"
check "the summary counts names that are not UTF-8" \
	grep -qF 'names:      1 kept name is not UTF-8 (stored as raw bytes), e.g. caf\xe9.txt' "$WORK/last.out"

run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" --keep '**' --dry-run
check "--dry-run exits 0 (exit $RC)" test "$RC" -eq 0
check "--dry-run prints no raw ESC or BEL" no_raw "$WORK/last.out" "$WORK/last.err"
check "--dry-run lists the file escaped" grep -qF '+ pkg/evil\x1b]0;pwned\x07.txt' "$WORK/last.out"

# A hostile profile: its header strings are shown by report.
cat >"$WORK/hostile.profile" <<'P'
# slimzip profile v1
# boot-id: -
# target-kind: command
# command: evil\x1b]0;title\x07
# kernel: k\x1b[2J
# start: 2026-11-24T20:16:32.272Z
# end: 2026-11-24T20:16:33.272Z
# files: 1
# columns: kinds dev ino count mode size flags pid comm path
open 0:0 0 1 100644 1 path-only 1 x\x1bq /tmp/a\x1b[1mb
P
run "$SLIMZIP" report "$WORK/hostile.profile"
check "report exits 0 (exit $RC)" test "$RC" -eq 0
check "report prints no raw ESC or BEL" no_raw "$WORK/last.out" "$WORK/last.err"
check "report shows the command escaped" grep -qF 'evil\x1b]0;title\x07' "$WORK/last.out"

# verify names a missing file, and the process that wanted it, escaped.
cp "$WORK/out.zip" "$WORK/broken.zip"
zip -q -d "$WORK/broken.zip" "pkg/evil${ESC}]0;pwned${BEL}.txt"
cp /bin/cat "$WORK/c${ESC}[1mt"
run "$SLIMZIP" verify "$WORK/broken.zip" --tree "$tree" -- "$WORK/c${ESC}[1mt" "$tree/pkg/evil${ESC}]0;pwned${BEL}.txt"
check "verify exits 8 for the missing file (exit $RC)" test "$RC" -eq 8
# The workload's own output passes through as it is: judge verify's lines only.
grep -hE '^(slimzip|verify|missing|fixed|  )' "$WORK/last.out" "$WORK/last.err" >"$WORK/ours"
check "verify prints no raw ESC or BEL in its own lines" no_raw "$WORK/ours"
check "verify names the command escaped" grep -qF 'c\x1b[1mt exited with status 1' "$WORK/ours"
check "verify names the missing file escaped" \
	grep -qF '  pkg/evil\x1b]0;pwned\x07.txt, wanted by c\x1b[1mt' "$WORK/last.err"
e2e_finish
