#!/usr/bin/env bash
# verify --fix rewrites the zip with the options it was pruned with, given again on its command
# line: a --drop is not undone by the closure rules, and --mtime fixed stays fixed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

tree=$WORK/task
mkdir -p "$tree"
echo '{"name":"x"}' >"$tree/package.json"
echo need >"$tree/need.txt"
echo 'console.log(1)' >"$tree/index.js"
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
zip=$WORK/out.zip

run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$zip" --keep index.js \
	--drop package.json --mtime fixed
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" verify --fix "$zip" --tree "$tree" --drop package.json --mtime fixed \
	-- cat "$tree/need.txt"
check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
check "it named the missing need.txt" grep -q "^  need.txt, wanted by cat" "$WORK/last.err"
list=$(unzip -Z1 "$zip")
check "need.txt was added" grep -qx need.txt <<<"$list"
check "the dropped package.json stayed out (the Node rule would add it)" \
	bash -c '! grep -qx package.json <<<"$1"' _ "$list"
check "every entry still has the fixed 1980-01-01 time" \
	bash -c '[[ -z $(TZ=UTC zipinfo -T "$1" | awk "/^[-dl]/ && \$7 != \"19800101.000000\"") ]]' _ "$zip"

# A zip made without the --drop: the rules bring package.json back, the options matter. (A
# zip records its own options: without --drop on verify, the recorded one would apply.)
run "$SLIMZIP" prune --tree "$tree" --profile "$WORK/empty.profile" -o "$zip" --keep index.js
run "$SLIMZIP" verify --fix "$zip" --tree "$tree" -- cat "$tree/need.txt"
check "without --drop, --fix lets the Node rule add package.json" \
	bash -c 'unzip -Z1 "$1" | grep -qx package.json' _ "$zip"
run "$SLIMZIP" verify "$zip" --tree "$tree" --drop 'a[b' -- true
check "a bad --drop pattern is refused with exit 2 (exit $RC)" test "$RC" -eq 2
e2e_finish
