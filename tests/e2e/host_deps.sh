#!/usr/bin/env bash
# Host dependencies (issue 9): a Python function that imports a package found only in a host
# package directory outside the tree (as the build machine's dist-packages would hold it) is
# warned about by run and prune, refused by --strict-host and in CI (exit 10, no zip), and
# failed by verify, which hides the host's package directories from the proof run as Lambda
# lacks them (exit 8, the package named); --no-isolate lets it pass. When the tree has its own
# copy that the host's shadowed while recording, verify --fix adds the tree's copy. The same for
# a Node package found through NODE_PATH.
# Nothing is written outside the work directory: the "host" packages are made for the test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

host=$WORK/host/lib/python3/dist-packages
tree=$WORK/tree
mkdir -p "$host/hostonly" "$tree/vendor"
echo 'VALUE = "from the host"' >"$host/hostonly/__init__.py"
printf 'import hostonly\nprint("hostonly says", hostonly.VALUE)\n' >"$tree/handler.py"
# The host's directory comes before the tree's vendor/ on sys.path, as a build machine's
# dist-packages comes before a directory the function adds itself.
cmd=(env PYTHONPATH="$host:$tree/vendor" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -S handler.py)
# The suite may run with CI=true (.ci/run in CI), which turns --strict-host on.
noci=(env -u CI)

echo "== run warns, names the package and its directory, and records the directory"
RUN_CWD=$tree run "${noci[@]}" "$SLIMZIP" run --tree "$tree" -o "$WORK/out.zip" \
	--report "$WORK/report.json" -- "${cmd[@]}"
check "run exits 0 outside CI (exit $RC)" test "$RC" -eq 0
check "the warning names hostonly and where it came from" grep -qF \
	"the workload used 1 host package that Lambda lacks: hostonly (from $host)" "$WORK/last.err"
check "the report lists hostonly as a python host package of $host" /usr/bin/python3 -S -c '
import json, sys
h = json.load(open(sys.argv[1]))["host"]
p = h["packages"]
assert [x["package"] for x in p] == ["hostonly"], p
assert p[0]["kind"] == "python" and p[0]["dir"] == sys.argv[2] and p[0]["files"] == 1, p
assert p[0]["first_path"].startswith(sys.argv[2] + "/hostonly"), p
assert h["expected"] > 0 and h["other"] >= 0, h
' "$WORK/report.json" "$host"
check "the zip's comment records the host package directory" \
	bash -c 'unzip -z "$1" | grep -qF "\"host_dirs\":[\"$2\"]"' _ "$WORK/out.zip" "$host"

echo "== --strict-host and CI refuse (exit 10) and write no zip"
RUN_CWD=$tree run "${noci[@]}" "$SLIMZIP" run --tree "$tree" -o "$WORK/strict.zip" --strict-host \
	-- "${cmd[@]}"
check "run --strict-host exits 10 (exit $RC)" test "$RC" -eq 10
check "run --strict-host wrote no zip" test ! -e "$WORK/strict.zip"
check "the refusal names hostonly and the way out" \
	grep -qE "strict-host: the workload used 1 host package .*hostonly.*--no-strict-host" \
	"$WORK/last.err"
RUN_CWD=$tree run env CI=true "$SLIMZIP" run --tree "$tree" -o "$WORK/ci.zip" -- "${cmd[@]}"
check "run with CI=true exits 10 (exit $RC)" test "$RC" -eq 10
check "run with CI=true wrote no zip" test ! -e "$WORK/ci.zip"
RUN_CWD=$tree run env CI=true "$SLIMZIP" run --tree "$tree" -o "$WORK/ci.zip" --no-strict-host \
	-- "${cmd[@]}"
check "CI=true with --no-strict-host exits 0 (exit $RC)" test "$RC" -eq 0
check "CI=true with --no-strict-host wrote the zip" test -s "$WORK/ci.zip"
check "CI=true with --no-strict-host still warns" grep -qF "hostonly" "$WORK/last.err"
RUN_CWD=$tree run env CI=false "$SLIMZIP" run --tree "$tree" -o "$WORK/ci-false.zip" \
	-- "${cmd[@]}"
check "CI=false is not CI: run exits 0 (exit $RC)" test "$RC" -eq 0

echo "== prune from a recorded profile: the same warning and refusal"
RUN_CWD=$tree run "$SLIMZIP" record -o "$WORK/p.profile" -- "${cmd[@]}"
check "record exits 0 (exit $RC)" test "$RC" -eq 0
run "${noci[@]}" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" -o "$WORK/p.zip"
check "prune exits 0 and warns about hostonly (exit $RC)" \
	bash -c '(($1 == 0)) && grep -qF "Lambda lacks: hostonly" "$2"' _ "$RC" "$WORK/last.err"
run "${noci[@]}" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" -o "$WORK/p2.zip" \
	--strict-host
check "prune --strict-host exits 10 and writes no zip (exit $RC)" \
	bash -c '(($1 == 10)) && test ! -e "$2"' _ "$RC" "$WORK/p2.zip"
run "${noci[@]}" "$SLIMZIP" prune --tree "$tree" --profile "$WORK/p.profile" --dry-run --strict-host
check "prune --dry-run --strict-host exits 10 too (exit $RC)" test "$RC" -eq 10

echo "== verify hides the host's package directory: the proof run fails as on Lambda"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/out.zip" --tree "$tree" -- "${cmd[@]}"
check "verify (--isolate by default) exits 8 (exit $RC)" test "$RC" -eq 8
check "verify names the missing host package and where the host has it" \
	grep -qxF "missing host package hostonly ($host/hostonly)" "$WORK/last.err"
check "verify's error says the package is hidden" grep -qF "hidden by --isolate" "$WORK/last.err"
check "the proof run did fail to import it" grep -qF "No module named 'hostonly'" "$WORK/last.err"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/out.zip" --tree "$tree" --no-isolate -- "${cmd[@]}"
check "verify --no-isolate exits 0 (exit $RC)" test "$RC" -eq 0
check "the host's own directory is still there and untouched" \
	grep -qF 'from the host' "$host/hostonly/__init__.py"

echo "== --isolate-dir hides a directory the zip does not name"
cp "$WORK/out.zip" "$WORK/nocomment.zip"
/usr/bin/python3 -S -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "a") as z:
    z.comment = b""
' "$WORK/nocomment.zip"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/nocomment.zip" --tree "$tree" -- "${cmd[@]}"
check "a zip that names no host directory verifies (exit $RC)" test "$RC" -eq 0
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/nocomment.zip" --tree "$tree" --isolate-dir "$host" \
	-- "${cmd[@]}"
check "--isolate-dir DIR hides it: exit 8 (exit $RC)" test "$RC" -eq 8
check "--isolate-dir: hostonly is named" grep -qF "missing host package hostonly" "$WORK/last.err"
run "$SLIMZIP" verify "$WORK/nocomment.zip" --tree "$tree" --isolate-dir relative/dir -- true
check "--isolate-dir takes absolute paths only (exit $RC)" \
	bash -c '(($1 == 2)) && grep -qF "relative/dir" "$2"' _ "$RC" "$WORK/last.err"

echo "== the tree has its own copy, which the host's shadowed: verify --fix adds the tree's"
mkdir -p "$tree/vendor/hostonly"
echo 'VALUE = "from the tree"' >"$tree/vendor/hostonly/__init__.py"
RUN_CWD=$tree run "${noci[@]}" "$SLIMZIP" run --tree "$tree" -o "$WORK/shadow.zip" -- "${cmd[@]}"
check "run exits 0 (exit $RC)" test "$RC" -eq 0
check "the host's copy was the one used" grep -qF "from the host" "$WORK/last.out"
check "the zip lacks the tree's copy, never touched" \
	bash -c '! unzip -Z1 "$1" | grep -q "^vendor/hostonly/"' _ "$WORK/shadow.zip"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/shadow.zip" --tree "$tree" -- "${cmd[@]}"
check "verify exits 8 (exit $RC)" test "$RC" -eq 8
check "verify names the tree's copy as missing" \
	grep -qE "^  vendor/hostonly/__init__.py, wanted " "$WORK/last.err"
check "verify names the host package" grep -qF "missing host package hostonly" "$WORK/last.err"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/shadow.zip" --tree "$tree" --fix -- "${cmd[@]}"
check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
check "verify --fix added the tree's copy" \
	bash -c 'unzip -Z1 "$1" | grep -qxF vendor/hostonly/__init__.py' _ "$WORK/shadow.zip"
check "the fixed zip still records the host directory" \
	bash -c 'unzip -z "$1" | grep -qF "\"host_dirs\":[\"$2\"]"' _ "$WORK/shadow.zip" "$host"
RUN_CWD=$tree run "$SLIMZIP" verify "$WORK/shadow.zip" --tree "$tree" -- "${cmd[@]}"
check "verify passes on the fixed zip (exit $RC)" test "$RC" -eq 0
check "the proof run used the tree's copy" grep -qF "from the tree" "$WORK/last.out"
echo "== Node: a package from a host node_modules (NODE_PATH) is warned about and hidden too"
nhost=$WORK/nhost/node_modules
ntree=$WORK/ntree
mkdir -p "$nhost/hostmod" "$ntree"
echo 'module.exports = "from the host";' >"$nhost/hostmod/index.js"
echo 'console.log("hostmod says", require("hostmod"));' >"$ntree/index.js"
ncmd=(env NODE_PATH="$nhost" /usr/bin/node index.js)
RUN_CWD=$ntree run "${noci[@]}" "$SLIMZIP" run --tree "$ntree" -o "$WORK/node.zip" -- "${ncmd[@]}"
check "run exits 0 and names hostmod from $nhost (exit $RC)" bash -c \
	'(($1 == 0)) && grep -qF "Lambda lacks: hostmod (from $2)" "$3"' _ "$RC" "$nhost" "$WORK/last.err"
RUN_CWD=$ntree run "$SLIMZIP" verify "$WORK/node.zip" --tree "$ntree" -- "${ncmd[@]}"
check "verify exits 8 naming hostmod (exit $RC)" bash -c \
	'(($1 == 8)) && grep -qxF "missing host package hostmod ($2/hostmod)" "$3"' _ "$RC" "$nhost" \
	"$WORK/last.err"
echo "== a host module with its bytecode is named once, at its module"
echo 'NAME = "mod"' >"$host/hostmod.py"
/usr/bin/python3 -m compileall -q "$host/hostmod.py"
tree2=$WORK/tree2
mkdir -p "$tree2"
printf 'import hostmod\nprint(hostmod.NAME)\n' >"$tree2/handler.py"
cmd2=(env PYTHONPATH="$host" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -S handler.py)
RUN_CWD=$tree2 run "${noci[@]}" "$SLIMZIP" run --tree "$tree2" -o "$WORK/mod.zip" -- "${cmd2[@]}"
check "run exits 0 (exit $RC)" test "$RC" -eq 0
RUN_CWD=$tree2 run "$SLIMZIP" verify "$WORK/mod.zip" --tree "$tree2" -- "${cmd2[@]}"
check "verify exits 8 (exit $RC)" test "$RC" -eq 8
check "verify names hostmod once, at hostmod.py (not at its __pycache__)" bash -c \
	'[[ $(grep -c "^missing host package hostmod " "$1") == 1 ]] &&
	grep -qxF "missing host package hostmod ($2/hostmod.py)" "$1"' _ "$WORK/last.err" "$host"
e2e_finish
