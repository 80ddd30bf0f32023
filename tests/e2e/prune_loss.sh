#!/usr/bin/env bash
# prune on a recorded profile: --dry-run writes nothing; a profile that records lost events is
# refused with exit 3 (EXIT_LOSS) and no zip, unless --force.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare elf
prof=$WORK/elf/app.profile
echo "== elf: slimzip record"
RUN_CWD=$TREE run "$SLIMZIP" record -o "$prof" -- "${FIXTURE_CMD[@]}"
check "slimzip record exits 0 (exit $RC)" test "$RC" -eq 0
check "slimzip record wrote the profile" test -s "$prof"
check "the recorded command's output passes through record" contains "$WORK/last.out" "$EXPECTED"
[[ -s $prof ]] || e2e_finish
check "the profile records no loss (lost-events 0)" \
	grep -qE '^# lost-events: 0$|"lost_events": ?0[,}]' "$prof"

echo "== prune --dry-run"
out=$WORK/elf/out
mkdir -p "$out"
run "$SLIMZIP" prune --tree "$TREE" --profile "$prof" -o "$out/dry.zip" --dry-run
check "prune --dry-run exits 0 (exit $RC)" test "$RC" -eq 0
check "prune --dry-run wrote nothing (output directory empty)" \
	test -z "$(ls -A "$out")"
check "prune --dry-run names a kept file (lib/libcore.so)" \
	grep -qF lib/libcore.so "$WORK/last.out" "$WORK/last.err"

echo "== prune on a profile with lost events"
lossy=$WORK/elf/lossy.profile
sed -E 's/^# lost-events: 0$/# lost-events: 5/; s/"lost_events": ?0([,}])/"lost_events":5\1/' \
	"$prof" >"$lossy"
check "the crafted profile claims 5 lost events" \
	grep -qE '^# lost-events: 5$|"lost_events":5' "$lossy"
run "$SLIMZIP" prune --tree "$TREE" --profile "$lossy" -o "$out/lossy.zip"
check "prune refuses the lossy profile with exit 3 (EXIT_LOSS) (exit $RC)" test "$RC" -eq 3
check "prune wrote no zip for the lossy profile" test ! -e "$out/lossy.zip"
check "prune leaves no temp file beside the refused output" test -z "$(ls -A "$out")"
check "prune explains the refusal (mentions lost events)" \
	grep -qiE 'lost|loss' "$WORK/last.err" "$WORK/last.out"

run "$SLIMZIP" prune --tree "$TREE" --profile "$lossy" -o "$out/forced.zip" --force
check "prune --force accepts the lossy profile (exit $RC)" test "$RC" -eq 0
check "prune --force wrote the zip" test -s "$out/forced.zip"

echo "== prune on the clean profile"
run "$SLIMZIP" prune --tree "$TREE" --profile "$prof" -o "$out/clean.zip"
check "prune exits 0 on the clean profile (exit $RC)" test "$RC" -eq 0
check "prune wrote the zip" test -s "$out/clean.zip"
if [[ -s $out/clean.zip ]]; then
	ex=$WORK/elf/extracted
	extract "$out/clean.zip" "$ex"
	echo "before: $(tree_size "$TREE")"
	echo "after:  $(tree_size "$ex")"
	rc=0
	run_in "$ex" "$WORK/elf/pruned.out" || rc=$?
	check "bin/app runs from the pruned copy (exit $rc)" test "$rc" -eq 0
	check "the pruned copy prints the same output" diff -u "$EXPECTED" "$WORK/elf/pruned.out"
	run "$SLIMZIP" prune --tree "$TREE" --profile "$prof" -o "$out/again.zip"
	check "prune is deterministic: the same profile and tree give the same zip bytes" \
		cmp "$out/clean.zip" "$out/again.zip"
fi
e2e_finish
