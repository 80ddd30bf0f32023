#!/usr/bin/env bash
# Capacity refusals end to end (issue 10: "targets refused for capacity, in ctl status"): a
# daemon with max-targets = 3 and a watch rule; five matching cgroups made at once. Exactly
# three are followed, the other two refused by the kernel and counted (the watched parent's
# count and the total); ctl add beyond capacity answers TooManyTargets naming max-targets and
# is counted too; the three followed targets' profiles are exact and their headers carry the
# daemon's refusals (refused-targets); once they end, capacity is back and a new cgroup is
# followed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
P=$CG_MNT$CG_SELF/slz-e2e-cap-$$ # the watched parent
PV=$CG_SELF/slz-e2e-cap-$$
X=$CG_MNT$CG_SELF/slz-e2e-capx-$$ # for ctl add
DAEMON_CGROUPS+=("$P" "$X")
mkdir "$P" "$X"
for i in 1 2 3 4 5 6; do mkdir "$WORK/j$i" && echo "$i" >"$WORK/j$i/f"; done
cat >"$CONF" <<EOF
[daemon]
max-targets = 3
linger = 600

[watch cap]
parent = $PV
match = job-*
name = cap-{name}
EOF

daemon_start --config "$CONF" || true
check "(precondition) the daemon answers" ctl ping

echo "== five matching cgroups at once, three slots"
mkdir "$P/job-1" "$P/job-2" "$P/job-3" "$P/job-4" "$P/job-5"
for _ in $(seq 50); do [[ $(ctl list | grep -c '	live	watch') -ge 3 ]] && break; sleep 0.1; done
sleep 0.3 # anything more would have been born by now
run "${CTL[@]}" list
check "exactly three are followed" test "$(grep -c '	live	watch' "$WORK/last.out")" = 3
mapfile -t FOLLOWED < <(awk -F'\t' '$2 == "live" {sub(/^cap-job-/, "", $1); print $1}' "$WORK/last.out")
echo "followed: ${FOLLOWED[*]}"
run "${CTL[@]}" status --format json
check "status: 3 live of 3" test "$(jq -r '"\(.targets)/\(.capacity)"' "$WORK/last.out")" = 3/3
check "status: the two refused counted in total (watchRefused)" test "$(jq -r .watchRefused "$WORK/last.out")" = 2
check "status: ... and in the watched parent's count" \
	test "$(jq -r --arg p "$PV" '.watched[] | select(.parent == $p) | .refused' "$WORK/last.out")" = 2
run "${CTL[@]}" status
check "ctl status prints the refusals" grep -q "^watches .* 2 new cgroups refused for capacity" "$WORK/last.out"

echo "== ctl add beyond capacity"
run "${CTL[@]}" add extra --cgroup "$X"
check "refused with exit 11 (got $RC)" test "$RC" -eq 11
check "... as TooManyTargets, naming the limit" \
	bash -c 'grep -q "io.slimzip.TooManyTargets" "$1" && grep -q "max-targets" "$1"' _ "$WORK/last.err"
run "${CTL[@]}" status --format json
check "status counts the refused add (refusedForCapacity 1)" test "$(jq -r .refusedForCapacity "$WORK/last.out")" = 1

echo "== each of the five runs its own command; the followed ones' profiles are exact"
pids=()
for i in 1 2 3 4 5; do
	in_cg "$P/job-$i" cat "$WORK/j$i/f" >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
rmdir "$P/job-1" "$P/job-2" "$P/job-3" "$P/job-4" "$P/job-5"
for i in "${FOLLOWED[@]}"; do
	wait_file "$STATE/profiles/cap-job-$i.profile" || true
	check "cap-job-$i.profile holds exactly j$i/f" \
		test "$(work_line "$STATE/profiles/cap-job-$i.profile")" = "$WORK/j$i/f "
done
for i in "${FOLLOWED[@]}"; do
	check "cap-job-$i's header counts the daemon's three refusals" \
		grep -qx '# refused-targets: 3' "$STATE/profiles/cap-job-$i.profile"
done
check "the refused ones wrote nothing" test "$(ls "$STATE/profiles" | grep -c '^cap-job-')" = 3

echo "== capacity is back once they ended"
mkdir "$P/job-6"
for _ in $(seq 50); do ctl list | grep -q "^cap-job-6	live" && break; sleep 0.1; done
in_cg "$P/job-6" cat "$WORK/j6/f" >/dev/null
run "${CTL[@]}" finish cap-job-6
check "job-6 is followed and finished (exit $RC)" test "$RC" -eq 0
check "its profile holds exactly j6/f" test "$(work_line "$STATE/profiles/cap-job-6.profile")" = "$WORK/j6/f "
run "${CTL[@]}" status --format json
check "the refusals stay counted" test "$(jq -r '"\(.watchRefused) \(.refusedForCapacity)"' "$WORK/last.out")" = "2 1"
daemon_stop
e2e_finish
