#!/usr/bin/env bash
# One file seen by two paths keeps the kernel's: a file stat()ed through a symlink outside the
# tree, then opened by its real path, is recorded under the real path, so a profile used on
# another boot (matched by path only) still keeps it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/tree
mkdir -p "$tree/pkg" "$WORK/outside"
echo 'X = 1' >"$tree/pkg/real.py"
echo 'Y = 2' >"$tree/pkg/other.py"
ln -s ../tree/pkg "$WORK/outside/link"
prof=$WORK/p.profile

run "$SLIMZIP" record -o "$prof" -- sh -c \
	"stat '$WORK/outside/link/real.py' >/dev/null && cat '$tree/pkg/real.py' >/dev/null"
check "record exits 0 (exit $RC)" test "$RC" -eq 0
grep -F real.py "$prof" | sed 's/^/  | /'
check "the profile names real.py by its real path" grep -qE " $tree/pkg/real\.py\$" "$prof"
check "with both kinds in one entry" grep -qE "^open,stat .* $tree/pkg/real\.py\$" "$prof"
check "and no entry by the outside spelling" \
	bash -c '! grep -v "^#" "$1" | grep -qF "/outside/link/real.py"' _ "$prof"

echo "== the profile on another boot"
sed 's/^# boot-id: .*/# boot-id: another-boot/' "$prof" >"$WORK/other.profile"
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/other.profile" -o "$WORK/out.zip" \
	--no-rule-python
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
check "it matched by path only" grep -qF "matched by path only" "$WORK/last.err"
list=$(unzip -Z1 "$WORK/out.zip" 2>/dev/null || true)
check "the zip holds pkg/real.py" grep -qx pkg/real.py <<<"$list"
check "and not the untouched pkg/other.py" bash -c '! grep -qx pkg/other.py <<<"$1"' _ "$list"
e2e_finish
