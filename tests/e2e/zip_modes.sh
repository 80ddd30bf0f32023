#!/usr/bin/env bash
# Entry modes: Lambda's (files 0644, executables and directories 0755) by default, so the same
# sources checked out under umask 022 and 002 give the same zip and a 0600 file is readable by
# Lambda's unprivileged user; --modes keep keeps the tree's bits and warns about the ones that
# user could not use.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

# checkout DIR UMASK: the same files as git would create them under that umask.
checkout() {
	(
		umask "$2"
		mkdir -p "$1/lib"
		echo 'import lib.util' >"$1/main.py"
		echo 'X = 1' >"$1/lib/util.py"
		printf '#!/bin/sh\necho hi\n' >"$1/run.sh"
		chmod +x "$1/run.sh"
		echo key >"$1/secret.txt"
		chmod 0600 "$1/secret.txt"
		find "$1" -exec touch -h -d @1700000000 {} +
	)
}
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
prune() { run "$SLIMZIP" prune --profile "$WORK/empty.profile" --keep '*' "$@"; }
mode_of() { zipinfo "$1" "$2" | awk '{print $1}'; }

checkout "$WORK/u022" 022
checkout "$WORK/u002" 002
prune --tree "$WORK/u022" -o "$WORK/u022.zip"
check "prune exits 0 on the umask 022 checkout (exit $RC)" test "$RC" -eq 0
prune --tree "$WORK/u002" -o "$WORK/u002.zip"
check "prune exits 0 on the umask 002 checkout (exit $RC)" test "$RC" -eq 0
check "no warning about modes by default" bash -c '! grep -q "modes" "$1"' _ "$WORK/last.err"
h1=$(sha256sum <"$WORK/u022.zip" | cut -d' ' -f1)
h2=$(sha256sum <"$WORK/u002.zip" | cut -d' ' -f1)
check "umask 022 and 002 give byte-identical zips ($h1, $h2)" test "$h1" = "$h2"
check "the 0600 file is 0644 in the zip" test "$(mode_of "$WORK/u002.zip" secret.txt)" = -rw-r--r--
check "a group-writable file is 0644" test "$(mode_of "$WORK/u002.zip" main.py)" = -rw-r--r--
check "the executable is 0755" test "$(mode_of "$WORK/u002.zip" run.sh)" = -rwxr-xr-x
check "the directory is 0755" test "$(mode_of "$WORK/u002.zip" lib/)" = drwxr-xr-x

prune --tree "$WORK/u002" -o "$WORK/keep.zip" --modes keep
check "prune --modes keep exits 0 (exit $RC)" test "$RC" -eq 0
check "with --modes keep the 0600 file stays 0600" \
	test "$(mode_of "$WORK/keep.zip" secret.txt)" = -rw-------
check "with --modes keep the umask 002 modes stay" \
	test "$(mode_of "$WORK/keep.zip" main.py)" = -rw-rw-r--
check "one warning line names the count and the 0600 file" \
	grep -q "modes keep kept 1 entry that Lambda's unprivileged user cannot use (first: secret.txt, mode 0600)" \
	"$WORK/last.err"
check "the warning is one line" test "$(grep -c "modes keep" "$WORK/last.err")" -eq 1

prune --tree "$WORK/u002" -o "$WORK/bad.zip" --modes 0644
check "a bad --modes value exits 2 (exit $RC)" test "$RC" -eq 2
check "it says what --modes takes" grep -q "'0644' is not lambda or keep" "$WORK/last.err"
check "and writes no zip" test ! -e "$WORK/bad.zip"

for cmd in prune run verify; do
	run "$SLIMZIP" "$cmd" --help
	check "slimzip $cmd takes --modes" grep -q -- "--modes lambda|keep" "$WORK/last.out" "$WORK/last.err"
done
e2e_finish
