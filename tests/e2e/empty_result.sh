#!/usr/bin/env bash
# An empty result is refused, however it comes about: a command run from inside the tree that
# touches only the tree's root (its cwd), a header-only profile, or a --drop that removes every
# file; --force writes the zip anyway. No zip is left behind by a refusal.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

TREE=$WORK/tree
mkdir -p "$TREE/lib"
echo 'print("hi")' >"$TREE/main.py"
echo 'X = 1' >"$TREE/lib/util.py"

# ls opens its cwd (the tree's root) to list it, and nothing below it.
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/cwd.zip" -- ls
check "run from inside the tree touching nothing there is refused with exit 6 (exit $RC)" \
	test "$RC" -eq 6
check "the message says only directories matched" grep -q "only 1 directory of" "$WORK/last.err"
check "no zip was written" test ! -e "$WORK/cwd.zip"

RUN_CWD=$TREE run "$SLIMZIP" record -o "$WORK/cwd.profile" -- ls
check "record exits 0 (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" prune --profile "$WORK/cwd.profile" --tree "$TREE" -o "$WORK/cwd.zip"
check "prune of that profile is refused with exit 6 (exit $RC)" test "$RC" -eq 6
run "$SLIMZIP" prune --profile "$WORK/cwd.profile" --tree "$TREE" -o "$WORK/cwd.zip" --force
check "--force writes it anyway (exit $RC)" test "$RC" -eq 0 -a -s "$WORK/cwd.zip"

printf '# slimzip profile v1\n' >"$WORK/header.profile"
run "$SLIMZIP" prune --profile "$WORK/header.profile" --tree "$TREE" -o "$WORK/header.zip"
check "a header-only profile is refused with exit 6 (exit $RC)" test "$RC" -eq 6
check "no zip from the header-only profile" test ! -e "$WORK/header.zip"

RUN_CWD=$TREE run "$SLIMZIP" record -o "$WORK/py.profile" -- python3 -S main.py
check "recording python exits 0 (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" prune --profile "$WORK/py.profile" --tree "$TREE" -o "$WORK/drop.zip" \
	--drop '*.py'
check "a --drop of every used file is refused with exit 6 (exit $RC)" test "$RC" -eq 6
check "the message says the zip would hold no file" grep -q "would hold no file" "$WORK/last.err"
check "no zip from the refused --drop" test ! -e "$WORK/drop.zip"
run "$SLIMZIP" prune --profile "$WORK/py.profile" --tree "$TREE" -o "$WORK/py.zip"
check "the same profile without --drop prunes (exit $RC)" test "$RC" -eq 0 -a -s "$WORK/py.zip"
e2e_finish
