#!/usr/bin/env bash
# --json FILE for record and verify (issue 12, "Streams"): the summary's numbers as one JSON
# object, the same ones the text prints, and those of the profile and the zip on disk; '-' is
# stdout; an unwritable FILE is refused before anything runs (exit 7).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_alone python

echo "== record --json: entries, exit status, duration, loss"
RUN_CWD=$TREE run "$SLIMZIP" record -v -o "$D/p.txt" --json "$D/rec.json" -- "${FIXTURE_CMD[@]}"
check "record exits 0 (exit $RC)" test "$RC" -eq 0
check "stdout is still the workload's" cmp "$WORK/last.out" "$alone"
check "the JSON matches the -v line and the profile on disk" /usr/bin/python3 - "$D/rec.json" \
	"$WORK/last.err" "$D/p.txt" <<'PY'
import json, re, sys
from datetime import datetime, timezone
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
prof = [l for l in open(sys.argv[3]) if l.strip() and not l.startswith("#")]
head = dict(l[2:].rstrip("\n").split(": ", 1) for l in open(sys.argv[3])
            if l.startswith("# ") and ": " in l)
assert s["command"] == "record" and s["profile"]["path"] == sys.argv[3], s
assert s["profile"]["format"] == "text"
assert s["profile"]["entries"] == len(prof) > 0, (s["profile"], len(prof))
(n,) = re.findall(r"recorded (\d+) files to ", text)
assert int(n) == s["profile"]["entries"], (n, s["profile"])
assert s["exit_status"] == 0 and s["exit_code"] == 0, s
assert s["target"]["kind"] == "command" and s["target"]["daemon"] is False, s["target"]
assert s["target"]["command"].endswith("handler.py"), s["target"]
assert s["duration_ms"] == s["end_unix_ms"] - s["start_unix_ms"] >= 0, s
assert int(head["files"]) == s["profile"]["entries"], (head["files"], s["profile"])
assert int(head["exit-status"]) == s["exit_status"], head
ms = lambda t: round(datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
                     .replace(tzinfo=timezone.utc).timestamp() * 1000)
assert (ms(head["start"]), ms(head["end"])) == (s["start_unix_ms"], s["end_unix_ms"]), head
assert s["loss"] == {"lost_events": 0, "truncated_paths": 0, "daemon_restarted": 0}, s["loss"]
PY

RUN_CWD=$TREE run "$SLIMZIP" record -o "$D/p2.txt" --json - -- sh -c 'exit 3'
check "record of a failing command exits with its status (exit $RC)" test "$RC" -eq 3
check "--json - puts the summary on stdout: exit_status 3, exit_code 3" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["exit_status"] == 3 and s["exit_code"] == 3, s
' "$WORK/last.out"
run "$SLIMZIP" record -o - --json - -- true
check "-o - and --json - together are refused (exit $RC)" test "$RC" -eq 2
check "naming both" grep -q -- "-o and --json both write to stdout" "$WORK/last.err"
run "$SLIMZIP" record -o "$D/p3.txt" --json "$WORK/no/such/dir/r.json" -- true
check "an unwritable --json is refused (exit $RC)" test "$RC" -eq 7
check "before anything ran: no profile" test ! -e "$D/p3.txt"

echo "== verify --json on a zip that works"
run "$SLIMZIP" prune --tree "$TREE" --profile "$D/p.txt" -o "$D/ok.zip"
check "prune exits 0 (exit $RC)" test "$RC" -eq 0
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/ok.zip" --tree "$TREE" --json "$D/v1.json" \
	-- "${FIXTURE_CMD[@]}"
check "verify exits 0 (exit $RC)" test "$RC" -eq 0
check "verify --json FILE leaves stdout to the workload" cmp "$WORK/last.out" "$alone"
entries=$(unzip -Z1 "$D/ok.zip" | wc -l)
check "verdict verified, one round, zip entries ($entries) and bytes as on disk" \
	/usr/bin/python3 - "$D/v1.json" "$WORK/last.err" "$D/ok.zip" "$entries" <<'PY'
import json, os, re, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert s["command"] == "verify" and s["verdict"] == "verified" and s["exit_code"] == 0, s
assert s["message"] is None and s["fixed"] is False and s["added"] == 0, s
assert s["zip"]["path"] == sys.argv[3], s["zip"]
assert s["zip"]["entries"] == int(sys.argv[4]), (s["zip"], sys.argv[4])
assert s["zip"]["bytes"] == os.path.getsize(sys.argv[3]), s["zip"]
(r,) = s["rounds"]
m = re.search(r"^verify round 1: .* exited with status (\d+); (\d+) missing files?", text, re.M)
assert (r["cmd_status"], r["missing"]) == (int(m.group(1)), int(m.group(2))) == (0, 0), r
assert s["missing"] == {"files": 0, "by_package": []} and s["host_missing"] == [], s
PY

echo "== verify --json --fix on a zip that misses files"
printf '# slimzip profile v1\n' >"$WORK/empty.profile"
run "$SLIMZIP" prune --tree "$TREE" --profile "$WORK/empty.profile" -o "$D/first.zip" \
	--keep handler.py
check "the first build exits 0 (exit $RC)" test "$RC" -eq 0
cp "$D/first.zip" "$D/before-fix.zip"
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/first.zip" --tree "$TREE" --json "$D/v2.json" \
	-- "${FIXTURE_CMD[@]}"
check "verify without --fix exits 8 (exit $RC)" test "$RC" -eq 8
check "by package as the text groups them, the verdict's line as its message" \
	/usr/bin/python3 - "$D/v2.json" "$WORK/last.err" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert s["verdict"] == "missing" and s["exit_code"] == 8, s
assert s["message"] and s["message"] in text, s["message"]
(r,) = s["rounds"]
m = re.search(r"; (\d+) missing files", text)
assert int(m.group(1)) == r["missing"] == s["missing"]["files"] > 0, (m.group(1), r)
said = {(n, k): int(c) for c, n, k in
        re.findall(r"^missing (\d+) files? of package (\S+) \((\w+)", text, re.M)}
got = {(p["package"], p["kind"]): p["files"] for p in s["missing"]["by_package"]}
assert got == said and sum(got.values()) == s["missing"]["files"], (got, said)
PY
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/first.zip" --tree "$TREE" --fix --json "$D/v3.json" \
	-- "${FIXTURE_CMD[@]}"
check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
entries=$(unzip -Z1 "$D/first.zip" | wc -l)
before=$(unzip -Z1 "$D/before-fix.zip" | wc -l)
check "rounds, --fix's additions and the zip after as the text and the zip say" \
	/usr/bin/python3 - "$D/v3.json" "$WORK/last.err" "$D/first.zip" "$entries" "$before" <<'PY'
import json, os, re, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert s["verdict"] == "verified" and s["exit_code"] == 0 and s["fix"] and s["fixed"], s
fixed = re.findall(r"^fixed: .* now holds (\d+) entries \(was (\d+)\): (\d+) missing", text, re.M)
assert len(fixed) == len(s["rounds"]) - 1 >= 1, (fixed, s["rounds"])
for (after, was, added), r in zip(fixed, s["rounds"]):
    assert (r["entries_after"], r["entries_before"], r["added"]) == \
        (int(after), int(was), int(added)), (r, after, was, added)
assert s["rounds"][0]["entries_before"] == int(sys.argv[5]), (s["rounds"][0], sys.argv[5])
assert s["added"] == sum(int(a) for _, _, a in fixed) > 0, s
assert s["zip"]["entries"] == int(sys.argv[4]) and s["rounds"][-1]["missing"] == 0, s
assert s["zip"]["bytes"] == os.path.getsize(sys.argv[3]), s["zip"]
PY

echo "== verify --json -: the summary on stdout after the workload's output"
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/ok.zip" --tree "$TREE" --json - -- "${FIXTURE_CMD[@]}"
check "verify --json - exits 0 (exit $RC)" test "$RC" -eq 0
check "stdout: the workload's bytes, then one JSON line" /usr/bin/python3 -c '
import json, sys
out, alone = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert out.startswith(alone), out[:200]
assert json.loads(out[len(alone):])["verdict"] == "verified"
' "$WORK/last.out" "$alone"
run "$SLIMZIP" verify "$D/ok.zip" --tree "$TREE" --json - --report - -- true
check "--json - and --report - together are refused (exit $RC)" test "$RC" -eq 2
RUN_CWD=$TREE run "$SLIMZIP" verify "$D/ok.zip" --tree "$TREE" \
	--json "$WORK/no/such/dir/v.json" -- "${FIXTURE_CMD[@]}"
check "an unwritable --json is refused before any run (exit $RC)" test "$RC" -eq 7
check "the workload did not run" test ! -s "$WORK/last.out"

echo "== batch --json: the table's numbers, the zips on disk, the exit code"
mkdir -p "$D/b"
cat >"$D/b/m.ini" <<INI
[function ok]
tree = $TREE
command = cd $TREE && ${FIXTURE_CMD[*]}

[function broken]
tree = $TREE
command = cd $TREE && python3 -S -c "raise SystemExit(3)"
INI
RUN_CWD=$D/b run env -u CI "$SLIMZIP" batch m.ini --no-daemon -o out --json "$D/b/s.json"
check "batch exits with broken's status, 3 (exit $RC)" test "$RC" -eq 3
check "every function as the table says, sizes as on disk" /usr/bin/python3 - "$D/b/s.json" \
	"$WORK/last.err" "$D/b" <<'PY'
import json, os, re, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
assert s["command"] == "batch" and s["exit_code"] == 3 and s["signal"] == 0, s
fns = {f["name"]: f for f in s["functions"]}
ok, broken = fns["ok"], fns["broken"]
m = re.search(r"^ok +ok +([\d,]+) files -> .* \(of ([\d,]+) files\)  (\S+)$", text, re.M)
assert ok["status"] == "ok" and ok["after"]["files"] == int(m.group(1).replace(",", "")), ok
assert ok["before"]["files"] == int(m.group(2).replace(",", "")), ok
zip_path = os.path.join(sys.argv[3], ok["zip"]) if not os.path.isabs(ok["zip"]) else ok["zip"]
assert ok["zip"] == m.group(3) and ok["zip_bytes"] == os.path.getsize(zip_path), ok
assert ok["commands"] == 1 and ok["profile_entries"] > 0 and ok["layer"] is None, ok
assert broken["status"] == "recording" and broken["cmd_status"] == 3 and broken["zip"] is None
assert re.search(r"^broken +FAILED +recording .*\(exit 3\)", text, re.M), text
(n, of) = re.search(r"slimzip batch: (\d+) of (\d+) functions zipped", text).groups()
assert (s["totals"]["zipped"], s["totals"]["functions"]) == (int(n), int(of)) == (1, 2), s
assert s["totals"]["zip_bytes"] == ok["zip_bytes"], s["totals"]
PY
run env -u CI "$SLIMZIP" batch "$D/b/m.ini" --no-daemon -o "$D/b/out2" \
	--json "$WORK/no/such/dir/s.json"
check "an unwritable batch --json is refused before anything runs (exit $RC)" test "$RC" -eq 7
check "no zip was made" test ! -e "$D/b/out2"

e2e_finish
