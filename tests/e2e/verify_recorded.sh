#!/usr/bin/env bash
# The zip records how it was pruned (one line of JSON in its archive comment), so verify --fix
# rewrites it the same way without being told: --mtime fixed, --drop and --modes keep survive
# a --fix; an option given to verify --fix wins; a zip made by another tool verifies as before.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/task
mkdir -p "$tree"
echo '{"name":"x"}' >"$tree/package.json"
echo need >"$tree/need.txt"
echo 'console.log(1)' >"$tree/index.js"
echo private >"$tree/secret.txt"
chmod 0600 "$tree/secret.txt"
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
zip=$WORK/out.zip
times_not_fixed() { TZ=UTC zipinfo -T "$1" | awk '/^[-dl]/ && $7 != "19800101.000000"'; }

run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$zip" --keep index.js \
	--keep secret.txt --drop package.json --mtime fixed --modes keep
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
comment=$(unzip -z "$zip" 2>/dev/null | tail -n +2 || true)
echo "comment: $comment"
check "the zip comment is one line of JSON with the version and the options" \
	/usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])
assert "\n" not in sys.argv[1]
assert c["slimzip"] and c["mtime"] == "fixed" and c["modes"] == "keep", c
assert c["drop"] == ["package.json"] and c["keep"] == ["index.js", "secret.txt"], c
' "$comment"

# No options given: verify --fix reuses what the zip recorded. (--no-mode-check shapes no zip:
# the 0600 file that --modes keep must keep would stop verify before any run otherwise.)
run "$SLIMZIP" verify --fix --no-mode-check "$zip" --tree "$tree" -- cat "$tree/need.txt"
check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
list=$(unzip -Z1 "$zip")
check "need.txt was added" grep -qx need.txt <<<"$list"
check "the recorded --drop kept package.json out (the Node rule would add it)" \
	bash -c '! grep -qx package.json <<<"$1"' _ "$list"
check "every entry still has the recorded fixed 1980-01-01 time" test -z "$(times_not_fixed "$zip")"
check "the recorded --modes keep left secret.txt 0600" \
	test "$(zipinfo "$zip" secret.txt | awk '{print $1}')" = -rw-------
check "the rewritten zip records the same options" test "$(unzip -z "$zip" | tail -n +2)" = "$comment"

# An explicit option on verify --fix wins over the recorded one.
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$zip" --keep index.js \
	--drop package.json --mtime fixed
run "$SLIMZIP" verify --fix "$zip" --tree "$tree" --mtime keep -- cat "$tree/need.txt"
check "verify --fix --mtime keep exits 0 (exit $RC)" test "$RC" -eq 0
check "--mtime keep won: the entries have the files' own times" test -n "$(times_not_fixed "$zip")"
check "the recorded --drop still applied" bash -c '! unzip -Z1 "$1" | grep -qx package.json' _ "$zip"
check "the rewritten zip records mtime keep" grep -q '"mtime":"keep"' <(unzip -z "$zip")

# A zip from another tool has no such comment (or another one): verify works as before.
rm -f "$WORK/other.zip"
(cd "$tree" && zip -q -z "$WORK/other.zip" index.js <<<"made by hand")
run "$SLIMZIP" verify "$WORK/other.zip" --tree "$tree" -- cat "$tree/index.js"
check "verify passes on a zip made by zip(1) with its own comment (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" verify --fix "$WORK/other.zip" --tree "$tree" -- cat "$tree/need.txt"
check "verify --fix works on it with the defaults (exit $RC)" test "$RC" -eq 0
check "and adds need.txt" bash -c 'unzip -Z1 "$1" | grep -qx need.txt' _ "$WORK/other.zip"

# slimzip's comment, damaged: refused as bad input, naming the zip.
cp "$zip" "$WORK/damaged.zip"
printf '{"slimzip":"0.1.0","level":12}\n' | zip -q -z "$WORK/damaged.zip"
run "$SLIMZIP" verify "$WORK/damaged.zip" --tree "$tree" -- true
check "a damaged slimzip comment exits 6, bad input (exit $RC)" test "$RC" -eq 6
check "and says so, naming the zip" grep -q "damaged.zip: its comment.*is damaged" "$WORK/last.err"
e2e_finish
