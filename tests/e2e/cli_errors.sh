#!/usr/bin/env bash
# Bad input gets one clear line on stderr naming the thing, a distinct exit code, and no output
# file. Each row: expected exit code, a word the message must contain, the arguments. Then one
# check per row of README's exit-code table (all but 1, which needs a fault to inject).
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
expect 6 "/nonexistent/keep.txt" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$WORK/out.zip" --keep-from /nonexistent/keep.txt
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
expect 2 "--fix" verify "$WORK/other.zip" --tree "$tree" --keep-out "$WORK/keep.txt" -- true
expect 2 "--keep-out" verify "$WORK/other.zip" --tree "$tree" --fix --report - --keep-out - -- true
expect 7 "--report" verify "$WORK/other.zip" --tree "$tree" --report /nonexistent/dir/r.json -- true
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

echo "== one check per row of README's exit-code table"
# code CODE WORD CMD...: CMD exits CODE and its stderr names WORD.
code() {
	local want=$1 word=$2
	shift 2
	run "$@"
	check "exit $want (got $RC) for: $*" test "$RC" -eq "$want"
	[[ -z $word ]] || check "the message names '$word'" grep -qF -- "$word" "$WORK/last.err"
}
cat >"$WORK/a.profile" <<P
# slimzip profile v1
# boot-id: -
# files: 1
# columns: kinds dev ino count mode size flags pid comm path
open 0:0 0 1 100644 2 path-only 1 cat $tree/pkg/a.py
P
sed 's/^# boot-id: -$/# boot-id: -\n# lost-events: 5/' "$WORK/a.profile" >"$WORK/lost.profile"

# 0: success.
code 0 "" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/a.profile" -o "$WORK/ok.zip"
# 3: prune of a profile that lost events, without --force.
code 3 "5 lost events" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/lost.profile" -o "$WORK/l.zip"
check "no zip after the refusal" test ! -e "$WORK/l.zip"
# 3 is not for a full dedup map: it loses no file, only counts. record warns and exits 0, and
# prune of that profile needs no --force.
mkdir -p "$tree/many"
for i in $(seq 1 1200); do : >"$tree/many/f$i"; done
code 0 "dedup map filled up" "$SLIMZIP" record --max-files 1024 -o "$WORK/full.profile" -- \
	/usr/bin/python3 -S -c 'import os, sys; [open(os.path.join(sys.argv[1], f)).close() for f in os.listdir(sys.argv[1])]' "$tree/many"
check "the profile counts the dedup overflows" grep -qE '^# dedup-full: [1-9]' "$WORK/full.profile"
code 0 "" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/full.profile" -o "$WORK/full.zip"
check "record --help says a full dedup map exits 0" \
	bash -c '"$1" record --help | tr "\n" " " | grep -q "full dedup map.*exits 0"' _ "$SLIMZIP"
# 5: no BTF (hidden in a private mount namespace).
code 5 "BTF" unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' _ \
	"$SLIMZIP" record -o "$WORK/p" -- true
# 6: a kept name the whitelist cannot hold, refused before anything is written.
nl=$WORK/nltree
mkdir -p "$nl" && echo x >"$nl/ok.txt" && echo y >"$nl/two"$'\n'"lines"
code 6 "holds a newline" "$SLIMZIP" prune --tree "$nl" --profile "$WORK/a.profile" --keep '**' \
	-o "$WORK/nl.zip" --report "$WORK/nl.json" --whitelist-out "$WORK/nl.txt"
check "no zip, report or whitelist was written" \
	test ! -e "$WORK/nl.zip" -a ! -e "$WORK/nl.json" -a ! -e "$WORK/nl.txt"
# 7: the output directory removed while the command runs.
mkdir -p "$WORK/gone"
code 7 "$WORK/gone/out.zip" "$SLIMZIP" run --tree "$tree" -o "$WORK/gone/out.zip" -- \
	sh -c 'cat "$1" >/dev/null && rmdir "$2"' _ "$tree/pkg/a.py" "$WORK/gone"
# 8: verify finds a file missing.
echo b >"$tree/pkg/b.py"
code 8 "1 file is missing" "$SLIMZIP" verify "$WORK/ok.zip" --tree "$tree" -- cat "$tree/pkg/b.py"
# 9: a Lambda limit exceeded with --enforce-lambda-limits (a sparse 300 MB file).
truncate -s 300M "$tree/huge.bin"
code 9 "exceeds an AWS Lambda limit" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/a.profile" \
	--keep huge.bin --dry-run --enforce-lambda-limits
rm -f "$tree/huge.bin"
# 2: a bad value of the recorder's environment knob, before anything runs.
code 2 "SLIMZIP_RECORD_HOOK=sysexit" env SLIMZIP_RECORD_HOOK=sysexit "$SLIMZIP" record -o "$WORK/h.profile" -- true
check "... one line" test "$(wc -l <"$WORK/last.err")" = 1
check "... and no profile" test ! -e "$WORK/h.profile"
# 11: no daemon answers at the socket (ctl, and record --daemon before it starts anything).
code 11 "$WORK/no.sock" "$SLIMZIP" ctl --socket "$WORK/no.sock" ping
code 11 "$WORK/no.sock" "$SLIMZIP" record --daemon --socket "$WORK/no.sock" -o "$WORK/d.profile" -- true
check "record --daemon without a daemon writes no profile" test ! -e "$WORK/d.profile"
# 126, 128+N and the command's own status pass through.
printf 'x\n' >"$WORK/noexec" && chmod 644 "$WORK/noexec"
code 126 "Permission denied" "$SLIMZIP" record -o "$WORK/p" -- "$WORK/noexec"
code 143 "" "$SLIMZIP" record -o "$WORK/p" -- sh -c 'kill -TERM $$'
code 42 "" "$SLIMZIP" record -o "$WORK/p" -- sh -c 'exit 42'
e2e_finish
