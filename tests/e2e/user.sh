#!/usr/bin/env bash
# --user USER for record, run and verify: the command runs as that user (its uid, gid and
# groups, like strace -u), as Lambda runs a function as a user that owns nothing of the zip.
# And verify's static check of every entry's mode: a 0600 file kept by --modes keep passes a
# proof run as root but not on Lambda, so verify names it and fails before running anything.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
# nobody must be able to reach the tree: mktemp -d made the work directory 0700.
chmod 0755 "$WORK"
NOBODY=$(id -u nobody)
# Root's PATH may find a python nobody cannot run (pyenv under /root): the system's.
PY=/usr/bin/python3

TREE=$WORK/tree
mkdir -p "$TREE/lib"
cat >"$TREE/main.py" <<'PYEOF'
import os, sys
import lib.util
here = os.path.dirname(os.path.abspath(__file__))
names = ["data.txt"] + sys.argv[1:]
print(os.getuid(), lib.util.X, *(open(os.path.join(here, n)).read().strip() for n in names))
PYEOF
echo 'X = 1' >"$TREE/lib/util.py"
echo data >"$TREE/data.txt"
echo secret >"$TREE/secret.txt"
chmod 0600 "$TREE/secret.txt"
chmod -R go+rX "$TREE"
chmod 0600 "$TREE/secret.txt"
CMD=("$PY" -S -B main.py secret.txt)
mode_of() { zipinfo "$1" "$2" | awk '{print $1}'; }
one_line() { test "$(wc -l <"$WORK/last.err")" -eq 1; }

echo "== record --user"
RUN_CWD=$TREE run "$SLIMZIP" record --user nobody -o "$WORK/nobody.profile" -- id -u
check "record --user nobody exits 0 (exit $RC)" test "$RC" -eq 0
check "the command ran as nobody (uid $NOBODY)" test "$(cat "$WORK/last.out")" = "$NOBODY"
RUN_CWD=$TREE run "$SLIMZIP" record --user nobody -o "$WORK/groups.profile" -- id -G
check "with nobody's groups only ($(id -G nobody))" test "$(cat "$WORK/last.out")" = "$(id -G nobody)"
RUN_CWD=$TREE run "$SLIMZIP" record -o "$WORK/root.profile" -- id -u
check "record as root exits 0 (exit $RC)" test "$RC" -eq 0
files() { awk '!/^#/ {print $1, $NF}' "$1" | sort; }
check "the profile as nobody is complete: the same files as root's" \
	diff <(files "$WORK/nobody.profile") <(files "$WORK/root.profile")
check "it lists the id binary as executed" grep -q "^exec .* $(readlink -f "$(command -v id)")\$" \
	"$WORK/nobody.profile"
check "and no loss" grep -qx '# lost-events: 0' "$WORK/nobody.profile"
RUN_CWD=$TREE run "$SLIMZIP" record --user 12345:678 -o "$WORK/ids.profile" -- id
check "record --user UID:GID runs as exactly those (exit $RC)" \
	grep -q '^uid=12345 gid=678 groups=678$' "$WORK/last.out"

echo "== unknown users"
for cmd in record run verify; do
	case $cmd in
	record) args=(record --user slimzip-no-such-user -o "$WORK/bad.profile" --) ;;
	run) args=(run --user slimzip-no-such-user --tree "$TREE" -o "$WORK/bad.zip" --) ;;
	verify) args=(verify "$WORK/bad.zip" --user slimzip-no-such-user --tree "$TREE" --) ;;
	esac
	[[ $cmd == verify ]] && cp /dev/null "$WORK/bad.zip"
	RUN_CWD=$TREE run "$SLIMZIP" "${args[@]}" "${CMD[@]}"
	check "$cmd --user with an unknown user exits 2 (exit $RC)" test "$RC" -eq 2
	check "$cmd says so in one line naming the user" \
		bash -c 'test "$(wc -l <"$1")" -eq 1 && grep -q "no user .slimzip-no-such-user." "$1"' \
		_ "$WORK/last.err"
	check "$cmd ran nothing" bash -c '! grep -q . "$1"' _ "$WORK/last.out"
	rm -f "$WORK/bad.zip"
done
check "no profile was written" test ! -e "$WORK/bad.profile"
RUN_CWD=$TREE run "$SLIMZIP" record --user nobody --cgroup / --duration 1
check "record --user with --cgroup is a usage error (exit $RC)" test "$RC" -eq 2
check "naming --user" grep -q -- "--user" "$WORK/last.err"

echo "== run --user"
RUN_CWD=$TREE run "$SLIMZIP" run --user nobody --tree "$TREE" -o "$WORK/nobody.zip" -- "${CMD[@]}"
check "run --user nobody fails where nobody cannot read the 0600 file (exit $RC)" test "$RC" -eq 1
check "Permission denied on it" grep -q "PermissionError.*secret.txt" "$WORK/last.err"
check "and writes no zip" test ! -e "$WORK/nobody.zip"
RUN_CWD=$TREE run "$SLIMZIP" run --user nobody --tree "$TREE" -o "$WORK/nobody.zip" -- "$PY" -S -B main.py
check "run --user nobody exits 0 on what nobody can read (exit $RC)" test "$RC" -eq 0
check "the command ran as nobody" grep -q "^$NOBODY 1 data\$" "$WORK/last.out"
check "the zip holds what it read" \
	bash -c 'test "$(unzip -Z1 "$1" | sort | tr "\n" " ")" = "data.txt lib/ lib/util.py main.py "' \
	_ "$WORK/nobody.zip"

echo "== verify: the static mode check"
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/lambda.zip" -- "${CMD[@]}"
check "run (as root, default --modes lambda) exits 0 (exit $RC)" test "$RC" -eq 0
check "the 0600 file is 0644 in the zip" test "$(mode_of "$WORK/lambda.zip" secret.txt)" = -rw-r--r--
RUN_CWD=$TREE run "$SLIMZIP" run --modes keep --tree "$TREE" -o "$WORK/keep.zip" -- "${CMD[@]}"
check "run --modes keep exits 0 (exit $RC)" test "$RC" -eq 0
check "the 0600 file stays 0600" test "$(mode_of "$WORK/keep.zip" secret.txt)" = -rw-------

RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/keep.zip" --tree "$TREE" -- "${CMD[@]}"
check "verify fails with exit 8 on the --modes keep zip (exit $RC)" test "$RC" -eq 8
check "one warning names the file and its mode" \
	grep -q "warning: 1 file in .*keep.zip is not readable by others, so not by Lambda's unprivileged user: secret.txt (0600)$" \
	"$WORK/last.err"
check "the error says what to do" \
	grep -q "could not use 1 entry of .*keep.zip (named above): prune with --modes lambda (the default)" \
	"$WORK/last.err"
check "two lines in all" test "$(wc -l <"$WORK/last.err")" -eq 2
check "no proof run was made" bash -c '! grep -q "verify round" "$1"' _ "$WORK/last.err"

RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/keep.zip" --tree "$TREE" --no-mode-check -- "${CMD[@]}"
check "with --no-mode-check the proof runs, as root, and passes (exit $RC)" test "$RC" -eq 0
check "the entry is still named" grep -q "secret.txt (0600)" "$WORK/last.err"
RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/keep.zip" --tree "$TREE" --no-mode-check --user nobody \
	-- "${CMD[@]}"
check "as nobody the proof fails, as on Lambda (exit $RC)" test "$RC" -eq 1
check "with Permission denied on the 0600 file" grep -q "PermissionError.*secret.txt" "$WORK/last.err"

RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/lambda.zip" --tree "$TREE" --user nobody -- "${CMD[@]}"
check "verify --user nobody passes on the default zip (exit $RC)" test "$RC" -eq 0
check "the proof ran as nobody and read the file" grep -q "^$NOBODY 1 data secret\$" "$WORK/last.out"
check "no mode warning" bash -c '! grep -q "Lambda" "$1"' _ "$WORK/last.err"
RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/lambda.zip" --tree "$TREE" -- "${CMD[@]}"
check "verify as root passes too (exit $RC)" test "$RC" -eq 0
check "as root" grep -q "^0 1 data secret\$" "$WORK/last.out"

echo "== verify --user: a tree the user cannot reach"
mkdir -m 0700 "$WORK/private"
cp -a "$TREE" "$WORK/private/tree"
cp "$WORK/lambda.zip" "$WORK/private/"
RUN_CWD=$WORK/private/tree run "$SLIMZIP" verify "$WORK/private/lambda.zip" \
	--tree "$WORK/private/tree" --user nobody -- "${CMD[@]}"
check "verify --user nobody refuses a tree below a 0700 directory (exit $RC)" test "$RC" -eq 6
check "in one line naming the directory and what to do" \
	bash -c 'test "$(wc -l <"$1")" -eq 1 && grep -q "$2 (mode 0700, owner 0, group 0) is not searchable by that user; move the tree" "$1"' \
	_ "$WORK/last.err" "$WORK/private"
check "before any run" bash -c '! grep -q . "$1"' _ "$WORK/last.out"
check "leaving no extraction directory" \
	bash -c '! ls -d "$1"/slimzip-verify-* 2>/dev/null' _ "$WORK/private"

for cmd in record run verify; do
	run "$SLIMZIP" "$cmd" --help
	check "slimzip $cmd --help shows --user" grep -q -- "--user USER" "$WORK/last.out"
done
check "slimzip verify --help shows --no-mode-check" grep -q -- "--no-mode-check" "$WORK/last.out"
e2e_finish
