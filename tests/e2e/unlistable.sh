#!/usr/bin/env bash
# As a user who cannot list part of the tree: a touched file below such a directory would be
# silently missing from the zip, so prune refuses (exit 6) unless --force; the summary names the
# directories it could not list and counts the profile entries that match nothing, with an
# example.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
command -v setpriv >/dev/null || { echo "SKIP: needs setpriv"; exit 77; }

chmod 755 "$WORK"
tree=$WORK/tree
mkdir -p "$tree/pkg/secret" "$tree/closed"
echo a >"$tree/pkg/a.py"
echo s >"$tree/pkg/secret/s.py"
echo c >"$tree/closed/c.py"
chmod 0711 "$tree/pkg/secret" # searchable, not listable
chmod 0 "$tree/closed"
mkdir -m 777 "$WORK/out"
cat >"$WORK/p.profile" <<P
# slimzip profile v1
# boot-id: -
# files: 3
# columns: kinds dev ino count mode size flags pid comm path
open 0:0 0 1 100644 2 path-only 1 python3 $tree/pkg/a.py
open 0:0 0 1 100644 2 path-only 1 python3 $tree/pkg/gone.py
open 0:0 0 1 100644 2 path-only 1 python3 $tree/pkg/secret/s.py
P
chmod 644 "$WORK/p.profile"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

run "${nobody[@]}" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" -o "$WORK/out/a.zip"
check "prune refuses a touched file below an unlistable directory (exit $RC)" test "$RC" -eq 6
check "the refusal names the file and the directory" \
	grep -qF "pkg/secret/s.py, below pkg/secret/" "$WORK/last.err"
check "the refusal says what to do" grep -q -- "--force" "$WORK/last.err"
check "the refusal is one line" test "$(wc -l <"$WORK/last.err")" -eq 1
check "no zip was written" test ! -e "$WORK/out/a.zip"

run "${nobody[@]}" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" -o "$WORK/out/a.zip" --force
check "--force prunes anyway (exit $RC)" test "$RC" -eq 0
check "the summary names the directories it could not list" \
	grep -qF "unlisted:   2 directories could not be listed, so no file below them is in the zip: closed, pkg/secret" "$WORK/last.out"
check "the summary counts the entries matching nothing, with an example" \
	grep -qF "unmatched:  2 profile entries below the tree match no file of it (changed since the recording?), e.g. $tree/pkg/gone.py" "$WORK/last.out"
check "a warning says what --force let through" \
	grep -q "pruning with --force although 1 file the workload touched" "$WORK/last.err"
check "the zip holds what could be read" bash -c 'unzip -Z1 "$1" | grep -qx pkg/a.py' _ "$WORK/out/a.zip"

# As root everything is listed: only the file that is gone matches nothing.
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" -o "$WORK/out/b.zip"
check "as root the same prune exits 0 (exit $RC)" test "$RC" -eq 0
check "as root the summary counts the one entry matching nothing" \
	grep -qF "unmatched:  1 profile entry below the tree matches no file" "$WORK/last.out"
check "as root no directory is unlisted" bash -c '! grep -q "^unlisted:" "$1"' _ "$WORK/last.out"
chmod -R u+rwx "$tree"
e2e_finish
