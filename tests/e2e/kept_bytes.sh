#!/usr/bin/env bash
# The summary says what the kept bytes are kept for, and where the stat-only ones lie: a
# program that stats every data file to list them (botocore's service models) but reads one
# keeps all of them, and the summary names the directory that holds those bytes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

TREE=$WORK/tree
mkdir -p "$TREE/vendor/botocore/data"
for s in ec2 s3 sqs sns dynamodb lambda iam kms; do
	mkdir -p "$TREE/vendor/botocore/data/$s/2020-01-01"
	head -c 100000 /dev/zero | tr '\0' 'x' >"$TREE/vendor/botocore/data/$s/2020-01-01/service-2.json"
done
cat >"$TREE/main.py" <<'PY'
import os
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor/botocore/data")
services = [s for s in sorted(os.listdir(root))
            if os.path.isfile(os.path.join(root, s, "2020-01-01", "service-2.json"))]
with open(os.path.join(root, "s3", "2020-01-01", "service-2.json")) as f:
    print(len(services), len(f.read()))
PY
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/out.zip" --report "$WORK/report.json" \
	-- python3 -S main.py
check "run exits 0 (exit $RC)" test "$RC" -eq 0
check "the program listed 8 services" grep -q "^8 100000$" "$WORK/last.out"
check "the summary shows bytes kept by reason, 7 files stat-only" \
	grep -qE "^kept bytes: used .*stat-only 684 KiB \(7 files\)" "$WORK/last.err"
check "the stat-only line names vendor/botocore/data/" \
	grep -qE "^stat-only: .* most below vendor/botocore/data/ 684 KiB \(7 files\)" "$WORK/last.err"
check "the report holds the same numbers" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kept_by"]["stat-only"] == {"files": 7, "bytes": 700000}, r["kept_by"]
assert r["stat_only_dirs"] == [{"dir": "vendor/botocore/data", "files": 7, "bytes": 700000}], r["stat_only_dirs"]
assert r["kept_by"]["used"]["files"] == 2, r["kept_by"]' "$WORK/report.json"
e2e_finish
