#!/usr/bin/env bash
# Bad input gets one clear line on stderr naming the thing, a distinct exit code, and no output
# file. Each row: expected exit code, a word the message must contain, the arguments.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/tree
mkdir -p "$tree/pkg" && echo x >"$tree/pkg/a.py"
printf '# slimzip profile v1\n# boot-id: -\n' >"$WORK/empty.profile"
echo "not a profile" >"$WORK/garbage.profile"
printf '# slimzip profile v7\n' >"$WORK/future.profile"

expect() {
	local code=$1 word=$2
	shift 2
	local out=$WORK/out.zip
	rm -f "$out"
	RC=0
	if [[ $code == 4 ]]; then # as an unprivileged user
		setpriv --reuid=65534 --regid=65534 --clear-groups "$SLIMZIP" "$@" \
			>"$WORK/stdout" 2>"$WORK/stderr" || RC=$?
	else
		"$SLIMZIP" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || RC=$?
	fi
	local lines msg
	lines=$(grep -c . "$WORK/stderr" || true)
	msg=$(head -n 1 "$WORK/stderr")
	echo "\$ slimzip $*  -> exit $RC: $msg"
	check "exit $code for: $*" test "$RC" -eq "$code"
	check "one line on stderr for: $*" test "$lines" -eq 1
	check "the message names '$word'" grep -qF -- "$word" "$WORK/stderr"
	check "no zip left behind for: $*" test ! -e "$out"
	check "no temp file left behind for: $*" bash -c '! ls -A "$1" | grep -q "^\.out\.zip\.tmp"' _ "$WORK"
}

expect 2 "nosuch" nosuch
expect 2 "nosuch" help nosuch
RC=0
"$SLIMZIP" help record >"$WORK/stdout" 2>"$WORK/stderr" || RC=$?
check "slimzip help record exits 0 (exit $RC)" test "$RC" -eq 0
check "slimzip help record prints the record usage" grep -q "^usage: slimzip record" "$WORK/stdout"
expect 2 "--level" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$WORK/out.zip" --level 12
expect 2 "--mtime" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$WORK/out.zip" --mtime soon
expect 2 "--keep" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$WORK/out.zip" --keep 'a[b'
expect 2 "--profile" prune --tree "$tree" -o "$WORK/out.zip"
expect 6 "/nonexistent/tree" prune --tree /nonexistent/tree --profile "$WORK/empty.profile" -o "$WORK/out.zip"
expect 6 "garbage.profile:1" prune --tree "$tree" --profile "$WORK/garbage.profile" -o "$WORK/out.zip"
expect 6 "version 7" prune --tree "$tree" --profile "$WORK/future.profile" -o "$WORK/out.zip"
expect 6 "/nonexistent/p" prune --tree "$tree" --profile /nonexistent/p -o "$WORK/out.zip"
expect 7 "/nonexistent/dir/out.zip" prune --tree "$tree" --profile "$WORK/empty.profile" -o /nonexistent/dir/out.zip
expect 7 "/nonexistent/dir/p" record -o /nonexistent/dir/p -- true
expect 127 "no-such-command-xyz" record -o "$WORK/p" -- no-such-command-xyz
expect 2 "--duration" record --cgroup / --duration forever
if command -v setpriv >/dev/null; then
	chmod 777 "$WORK"
	expect 4 "root" record -o "$WORK/p" -- true
fi
expect 6 "no such zip" verify "$WORK/missing.zip" --tree "$tree" -- true
expect 2 "--tree" verify "$WORK/missing.zip" -- true
expect 2 "'--'" verify "$WORK/missing.zip" --tree "$tree" /usr/bin/python3 -S x.py
printf 'not a zip' >"$WORK/notzip.zip"
expect 6 "Not a zip archive" verify "$WORK/notzip.zip" --tree "$tree" -- true
mkdir -p "$WORK/other" && echo x >"$WORK/other/only-here.txt"
(cd "$WORK/other" && zip -q "$WORK/other.zip" only-here.txt)
expect 6 "only-here.txt" verify "$WORK/other.zip" --tree "$tree" -- true
expect 6 "none of the" run --tree "$tree" -o "$WORK/out.zip" -- cat /etc/hostname

# Tree problems are reported, not fatal: a fifo, a symlink loop and a dangling link.
odd=$WORK/odd
mkdir -p "$odd/d" && echo a >"$odd/d/a" && mkfifo "$odd/fifo"
ln -s loop1 "$odd/loop2" && ln -s loop2 "$odd/loop1" && ln -s nothere "$odd/dangling"
RC=0
"$SLIMZIP" prune --tree "$odd" --profile "$WORK/empty.profile" --keep 'd/**' -o "$WORK/odd.zip" \
	>"$WORK/stdout" 2>"$WORK/stderr" || RC=$?
check "prune of a tree with a fifo and link loops exits 0" test "$RC" -eq 0
check "it reports the special file" grep -q "1 special files.*fifo" "$WORK/stderr"
check "it reports the loops and the dangling link" grep -q "3 symlinks that loop or dangle" "$WORK/stderr"
check "the zip holds the kept file" bash -c 'unzip -Z1 "$1" | grep -qx d/a' _ "$WORK/odd.zip"
e2e_finish
