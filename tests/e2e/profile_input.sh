#!/usr/bin/env bash
# Damaged and hostile profiles through the CLI (hand-written, no recording): each is refused
# with one line naming the file (and line), exit 6, and no zip; a profile of nothing is refused
# by prune unless --keep or --force; CRLF line ends are read; truncated paths are refused on
# another boot even when an inode of the tree happens to match.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_workdir

tree=$WORK/tree
mkdir -p "$tree/pkg"
echo 'X = 1' >"$tree/pkg/a.py"
echo 'import pkg.a' >"$tree/handler.py"
zip=$WORK/out.zip

# expect CODE WORD ARGS...: exit CODE, one line on stderr holding WORD, no zip, no temp file.
expect() {
	local code=$1 word=$2
	shift 2
	rm -f "$zip"
	run "$SLIMZIP" "$@"
	check "exit $code for: $*" test "$RC" -eq "$code"
	check "one line on stderr" test "$(grep -c . "$WORK/last.err" || true)" -eq 1
	check "the message holds '$word'" grep -qF -- "$word" "$WORK/last.err"
	check "no zip and no temp file left" bash -c '! ls -A "$1" | grep -q "^\.\?out\.zip"' _ "$WORK"
}

echo "== JSON headers that crashed the reader"
printf '{"slimzip_profile":1,"kernel":5}\n' >"$WORK/number.json"
printf '{"slimzip_profile":1,"kernel":"a\\qb"}\n' >"$WORK/escape.json"
printf '{"slimzip_profile":1,"kernel":"a\\u0000b"}\n' >"$WORK/nul.json"
for p in number escape nul; do
	expect 6 "$p.json:1" report "$WORK/$p.json"
	expect 6 "$p.json:1" prune --tree "$tree" --profile "$WORK/$p.json" -o "$zip"
done
check "the NUL is named" grep -qF 'holds \u0000' "$WORK/last.err"

echo "== truncated profiles"
line="open 8:1 5 1 100644 6 - 1 python3 $tree/pkg/a.py"
printf '# slimzip profile v1\n# files: 2\n%s\n' "$line" >"$WORK/cut.profile"
expect 6 "is truncated" prune --tree "$tree" --profile "$WORK/cut.profile" -o "$zip"
check "it says to record again" grep -qF "record the profile again" "$WORK/last.err"
printf '# slimzip profile v1\n# files: 1\n%s' "$line" >"$WORK/nonl.profile"
expect 6 "nonl.profile:3: the last line has no newline" report "$WORK/nonl.profile"

echo "== a profile of nothing"
printf '# slimzip profile v1\n# files: 0\n' >"$WORK/header-only.profile"
run "$SLIMZIP" report "$WORK/header-only.profile"
check "report reads a header-only profile (exit $RC)" test "$RC" -eq 0
expect 6 "nothing to keep" prune --tree "$tree" --profile "$WORK/header-only.profile" -o "$zip"
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/header-only.profile" -o "$zip" --keep handler.py
check "--keep makes it a choice (exit $RC)" test "$RC" -eq 0
check "the zip holds what --keep named" bash -c '[[ $(unzip -Z1 "$1") == handler.py ]]' _ "$zip"
mkdir -p "$WORK/empty-tree"
run "$SLIMZIP" prune --tree "$WORK/empty-tree" --profile "$WORK/header-only.profile" -o "$zip" --force
check "--force writes the empty zip of an empty tree (exit $RC)" test "$RC" -eq 0

echo "== parser leniency"
printf '# slimzip profile v1x\n' >"$WORK/v1x.profile"
expect 6 "v1x.profile:1" report "$WORK/v1x.profile"
printf '{"kernel":"6.18"}\n' >"$WORK/nover.json"
expect 6 'no "slimzip_profile"' report "$WORK/nover.json"
printf '{"slimzip_profile":1}garbage\n' >"$WORK/trailing.json"
expect 6 "characters after the JSON object" report "$WORK/trailing.json"
printf '# slimzip profile v1\n# files: 1\nopen 8:1 5 1 100644 6 - 4294967296 x /p\n' >"$WORK/pid.profile"
expect 6 "pid out of range" report "$WORK/pid.profile"
printf '{"slimzip_profile":1}\n{"path":"/p","pid":4294967296}\n' >"$WORK/pid.json"
expect 6 "pid out of range" report "$WORK/pid.json"
printf '# slimzip profile v1\r\n# boot-id: -\r\n# files: 1\r\n%s\r\n' "$line" >"$WORK/crlf.profile"
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/crlf.profile" -o "$zip" --no-rule-python
check "a CRLF profile prunes (exit $RC)" test "$RC" -eq 0
check "its CRLF path matched pkg/a.py" bash -c 'unzip -Z1 "$1" | grep -qx pkg/a.py' _ "$zip"

echo "== truncated paths on another boot"
boot=$(cat /proc/sys/kernel/random/boot_id)
dev=$(stat -c '%Hd:%Ld' "$tree/handler.py")
ino=$(stat -c '%i' "$tree/handler.py")
for b in "$boot" another-boot; do
	printf '# slimzip profile v1\n# boot-id: %s\n# files: 2\n%s\nopen %s %s 1 100644 13 truncated 1 x andler.py\n' \
		"$b" "$line" "$dev" "$ino" >"$WORK/trunc-$b.profile"
done
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/trunc-$boot.profile" -o "$zip"
check "this boot: the truncated path's inode is in the tree, no refusal (exit $RC)" test "$RC" -eq 0
expect 3 "truncated" prune --tree "$tree" --profile "$WORK/trunc-another-boot.profile" -o "$zip"
check "it says why" grep -qF "another boot" "$WORK/last.err"
e2e_finish
