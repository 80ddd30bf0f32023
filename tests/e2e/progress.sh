#!/usr/bin/env bash
# Progress on a terminal (issue 12): prune, run, verify and batch draw one line on a TTY stderr,
# rewritten with \r and cleared before anything else is printed; without a TTY, with -q or
# TERM=dumb, stderr has none of it (byte-identical to stderr with the line taken out).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

# ptyrun OUT ERR CMD...: CMD with stderr on a raw pty (no \n -> \r\n), stdout to OUT, what
# the pty got to ERR; exit code in RC.
cat >"$WORK/ptyrun.py" <<'PY'
import os, subprocess, sys, tty
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = os.openpty()
tty.setraw(slave)
with open(out, "wb") as o:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=slave)
os.close(slave)
got = b""
while True:
    try:
        b = os.read(master, 65536)
    except OSError:  # EIO: every writer closed the pty
        break
    if not b:
        break
    got += b
open(err, "wb").write(got)
sys.exit(p.wait())
PY
RC=0
ptyrun() {
	echo "\$ (pty) ${RUN_CWD:+(cd $RUN_CWD) }${*:3}"
	RC=0
	(cd "${RUN_CWD:-.}" && exec /usr/bin/python3 "$WORK/ptyrun.py" "$@") || RC=$?
	echo "  exit $RC"
}
# strip IN OUT: IN without the progress line's draws ("\r TEXT ESC[K") and clears.
strip() {
	/usr/bin/python3 -c '
import re, sys
s = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(re.sub(rb"\r[^\r\n\x1b]*\x1b\[K", b"", s))
' "$1" "$2"
}
# has IN PATTERN: IN holds a draw of the progress line matching PATTERN (a Python regex).
has() {
	/usr/bin/python3 -c '
import re, sys
s = open(sys.argv[1], "rb").read()
sys.exit(not re.search(rb"\r" + sys.argv[2].encode() + rb"\x1b\[K", s))
' "$1" "$2"
}
# cleared IN: every draw is followed by a clear before any other byte, and IN ends cleared.
cleared() {
	/usr/bin/python3 -c '
import re, sys
s = open(sys.argv[1], "rb").read()
rest = re.sub(rb"(\r[^\r\n\x1b]+\x1b\[K)+\r\x1b\[K", b"", s)
sys.exit(b"\x1b[K" in rest)
' "$1"
}

fixture_prepare python
D=$WORK/python
RUN_CWD=$TREE run "$SLIMZIP" record -o "$D/p.txt" -- "${FIXTURE_CMD[@]}"
check "record exits 0 (exit $RC)" test "$RC" -eq 0

echo "== prune on a pty: the walk and the zip, then cleared"
export TERM=xterm
ptyrun "$D/tty.out" "$D/tty.err" "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" \
	-o "$D/tty.zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
files=$(unzip -Z1 "$D/tty.zip" | grep -vc '/$')
check "a walk line ('walking tree: N files')" has "$D/tty.err" 'walking tree: [0-9,]+ files'
check "the last zip line counts every file ($files/$files files, bytes/bytes)" \
	has "$D/tty.err" "zipping: $files/$files files, [0-9.]+ [KMG]?i?B/[0-9.]+ [KMG]?i?B"
check "every line drawn is cleared before other output and at the end" cleared "$D/tty.err"
check "the summary is on stdout, as without a pty" grep -q "AWS Lambda:" "$D/tty.out"

echo "== prune without a pty: no progress, stderr as it was"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/plain.zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
check "no \\r and no escape on a file's stderr" \
	bash -c '! grep -q $'"'"'[\r\033]'"'"' "$1"' _ "$WORK/last.err"
strip "$D/tty.err" "$D/tty.stripped"
check "stderr on the pty, the line taken out, is the file's stderr byte for byte" \
	cmp "$D/tty.stripped" "$WORK/last.err"
check "the same zip either way" cmp "$D/tty.zip" "$D/plain.zip"

echo "== -q and TERM=dumb silence it"
ptyrun "$D/q.out" "$D/q.err" "$SLIMZIP" prune -q --tree "$TREE" --profile "$D/p.txt" \
	-o "$D/q.zip"
check "prune -q exits 0 (exit $RC)" test "$RC" -eq 0
check "prune -q on a pty: no progress line" bash -c '! grep -q $'"'"'\033'"'"' "$1"' _ "$D/q.err"
TERM=dumb ptyrun "$D/d.out" "$D/d.err" "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" \
	-o "$D/d.zip"
check "TERM=dumb on a pty: no progress line" bash -c '! grep -q $'"'"'\033'"'"' "$1"' _ "$D/d.err"

echo "== an error clears the line first"
ptyrun "$D/e.out" "$D/e.err" "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" \
	-o "$WORK/no/such/dir/x.zip"
check "prune to a missing directory fails (exit $RC)" test "$RC" -ne 0
check "its message starts a line of its own" grep -qa '^slimzip: ' "$D/e.err"

echo "== verify on a pty: the rounds, paused while the command runs"
RUN_CWD=$TREE ptyrun "$D/v.out" "$D/v.err" "$SLIMZIP" verify "$D/plain.zip" --tree "$TREE" \
	-- "${FIXTURE_CMD[@]}"
check "verify exits 0 (exit $RC)" test "$RC" -eq 0
check "a 'verify round 1/1' line" has "$D/v.err" 'verify round 1/1'
check "verify's lines are cleared before other output" cleared "$D/v.err"
check "the verdict is on its own line" grep -qa '^verified: ' "$D/v.err"
cmp -s "$D/v.out" "$EXPECTED" || contains "$D/v.out" "$EXPECTED"
check "the command's stdout is untouched" contains "$D/v.out" "$EXPECTED"

echo "== batch on a pty: commands recorded"
mkdir -p "$D/b"
cat >"$D/b/slimzip.ini" <<INI
[function fn]
tree = $TREE
command = cd $TREE && ${FIXTURE_CMD[*]}
INI
ptyrun "$D/b.out" "$D/b.err" env -u CI "$SLIMZIP" batch "$D/b/slimzip.ini" --no-daemon -o "$D/b/out"
check "batch exits 0 (exit $RC)" test "$RC" -eq 0
check "a 'batch: 1/1 commands recorded' line" has "$D/b.err" 'batch: 1/1 commands recorded'
check "batch's lines are cleared before other output" cleared "$D/b.err"

e2e_finish
