#!/usr/bin/env bash
# prune --report's JSON (schema 2) on the python fixture, against numbers the test computes
# itself from the tree (os.lstat) and the zip (unzip -Z): every file is kept or dropped, the
# dropped ones with why (--drop, never used), package totals, bytes by reason, the command and
# its policy, the version and Lambda's limits.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare python
PROFILE=$WORK/python/p.profile
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/python/run.zip" --profile-out "$PROFILE" \
	-- "${FIXTURE_CMD[@]}"
check "run records the fixture (exit $RC)" test "$RC" -eq 0
ZIP=$WORK/python/out.zip
REPORT=$WORK/python/report.json
# six.py is never used: --keep keeps it; markupsafe/ is kept by --keep and one file of it then
# dropped by --drop (a drop beats a keep).
run "$SLIMZIP" prune --profile "$PROFILE" --tree "$TREE" -o "$ZIP" --report "$REPORT" \
	--keep six.py --keep 'markupsafe/' --drop 'markupsafe/_speedups.pyi'
check "prune --report exits 0 (exit $RC)" test "$RC" -eq 0
unzip -Z -l "$ZIP" >"$WORK/zipinfo"
VERSION=$("$SLIMZIP" --version | awk '{print $2}')
check "the report matches the tree and the zip" /usr/bin/python3 -S - "$REPORT" "$TREE" \
	"$WORK/zipinfo" "$VERSION" "$PROFILE" "$ZIP" <<'PY'
import json, os, stat, sys

report, tree, zipinfo, version, profile, zpath = sys.argv[1:]
r = json.load(open(report))
ok = True
def expect(what, got, want):
    global ok
    if got != want:
        ok = False
        print(f"  mismatch: {what}: report {got!r}, expected {want!r}")

# The tree, walked here: every regular file and symlink with its size.
files = {}
for d, dirs, names in os.walk(tree):
    for n in names + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, tree)
        files[rel] = (st.st_size if stat.S_ISREG(st.st_mode) else 0, stat.S_ISREG(st.st_mode))
# The zip's files, from unzip -Z -l (size is the 4th column, the name the last).
zipped = {}
for line in open(zipinfo):
    f = line.split()
    if len(f) >= 10 and f[0][0] in "-l":
        zipped[line.rstrip("\n").split(None, 9)[9]] = int(f[3])
kept = {e["path"]: e for e in r["kept"] if e["type"] != "dir"}
dropped = {e["path"]: e for e in r["dropped"]}
expect("kept files are the zip's", sorted(kept), sorted(zipped))
expect("kept + dropped is the tree", sorted(set(kept) | set(dropped)), sorted(files))
expect("kept and dropped overlap", sorted(set(kept) & set(dropped)), [])
for p, e in dropped.items():
    expect(f"size of dropped {p}", e["size"], files[p][0])
for p, e in kept.items():
    if e["type"] == "file":
        expect(f"size of kept {p}", e["size"], zipped[p])
# Why: --drop named one, everything else left out was never used.
expect("why _speedups.pyi", dropped["markupsafe/_speedups.pyi"]["why"], "drop")
expect("reasons of the other dropped files",
       sorted({e["why"] for p, e in dropped.items() if p != "markupsafe/_speedups.pyi"}),
       ["not-used"])
expect("six.py kept by --keep", kept["six.py"]["why"], ["keep-glob"])
# Bytes by reason, summed here over the tree.
tree_files = {p: s for p, (s, reg) in files.items() if reg}
drop_bytes = sum(s for p, s in tree_files.items() if p not in zipped)
by = r["bytes_by_reason"]
expect("dropped bytes by reason sum", sum(v["bytes"] for v in by["dropped"].values()), drop_bytes)
expect("dropped files by reason sum", sum(v["files"] for v in by["dropped"].values()),
       len([p for p in tree_files if p not in zipped]))
expect("--drop's bytes", by["dropped"]["drop"],
       {"files": 1, "bytes": tree_files["markupsafe/_speedups.pyi"]})
glob = [p for p in zipped if "keep-glob" in kept[p]["why"]]
expect("--keep's bytes", by["kept"]["keep-glob"],
       {"files": len(glob), "bytes": sum(zipped[p] for p in glob)})
opened = [p for p in zipped if "opened" in kept[p]["why"]]
expect("opened bytes", by["kept"]["opened"],
       {"files": len(opened), "bytes": sum(zipped[p] for p in opened)})
# Packages: all of them sum to the tree; some by hand.
pk = {p["package"]: p for p in r["packages"]}
expect("packages' kept bytes", sum(p["kept_bytes"] for p in pk.values()), sum(zipped.values()))
expect("packages' dropped bytes", sum(p["dropped_bytes"] for p in pk.values()), drop_bytes)
def under(prefix, d):
    return sum(s for p, s in d.items() if p.startswith(prefix))
expect("yaml kept", (pk["yaml"]["kind"], pk["yaml"]["kept_bytes"]), ("python", under("yaml/", zipped)))
# A distribution's metadata is part of its package: idna/ and idna-3.3.egg-info/.
expect("idna all dropped", (pk["idna"]["kept_bytes"], pk["idna"]["dropped_bytes"]),
       (0, under("idna/", tree_files) + under("idna-3.3.egg-info/", tree_files)))
expect("lib is one package", (pk["lib"]["kind"], pk["lib"]["kept_bytes"] + pk["lib"]["dropped_bytes"]),
       ("lib", under("lib/", tree_files)))
expect("PyYAML dist-info is a package of its own name", "PyYAML" in pk, True)
# What ran, the version, the limits.
expect("argv", r["command"]["argv"], ["prune", "--profile", profile, "--tree", tree, "-o", zpath,
       "--report", report, "--keep", "six.py", "--keep", "markupsafe/", "--drop",
       "markupsafe/_speedups.pyi"])
pol = r["command"]["policy"]
expect("policy globs", (pol["keep"], pol["drop"]), (["six.py", "markupsafe/"], ["markupsafe/_speedups.pyi"]))
expect("policy flags", (pol["force"], pol["dry_run"], pol["modes"]), (False, False, "lambda"))
expect("schema and version", (r["slimzip_report"], r["kind"], r["version"]), (2, "prune", version))
expect("Lambda limits", r["lambda_limits"], {"zipped_bytes": 50 << 20, "unzipped_bytes": 250 << 20})
expect("zip bytes", r["zip_bytes"], os.path.getsize(zpath))
print(f"  {len(kept)} kept, {len(dropped)} dropped, {len(pk)} packages, {drop_bytes} bytes dropped")
sys.exit(0 if ok else 1)
PY
e2e_finish
