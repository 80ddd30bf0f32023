#!/usr/bin/env bash
# batch --layer (issue 11): six functions over two shared trees (the multi fixture) give six
# zips and a layer per runtime; each function runs from its zip with its layer bind-mounted at
# /opt in a private mount namespace, as Lambda lays them out, and prints what it printed from
# its full tree; the layers hold exactly the units that two functions keep alike (an oracle
# computed from the zips batch writes without --layer); a package at another version in
# another tree is not shared; a function over --max-unzipped with the layer is left out of it
# and the summary says so; a rerun writes the same layer bytes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

"$SLIMZIP_SRC/tests/fixtures/build-fixtures" "$FIXTURES" multi
M=$FIXTURES/multi
cp -a "$M/py" "$M/py2" "$M/node" "$WORK/"
FNS=(p_both p_req p_yaml n_color n_ms n_sem)

# manifest FILE NAME[:TREE[:CMDOF]]... (extra lines for a section come from $EXTRA_<NAME>)
manifest() {
	local out=$1 spec name tree cmdof extra
	shift
	: >"$out"
	for spec; do
		IFS=: read -r name tree cmdof <<<"$spec"
		[[ -n $tree ]] || case $name in p_*) tree=py ;; *) tree=node ;; esac
		[[ -n $cmdof ]] || cmdof=$name
		extra=EXTRA_$name
		# Python's search paths extend the environment's, as Lambda's do (verify adds /opt's).
		case $cmdof in
		p_*) cmd='PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH} LD_LIBRARY_PATH=lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}'
			cmd+=" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -S $cmdof.py" ;;
		*) cmd=$(paste -sd' ' "$M/cmds/$cmdof") ;;
		esac
		printf '[function %s]\ntree = %s/task\ncommand = cd %s/task && %s\n%s\n' "$name" \
			"$tree" "$tree" "$cmd" "${!extra:-}" >>"$out"
	done
}
EXTRA_p_both='runtime = python3.11'
EXTRA_n_color='runtime = nodejs20.x'
manifest "$WORK/m.ini" "${FNS[@]}"

json() { python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print($1)" "$2"; }

# run_from_zip NAME OUT [CMDOF]: NAME's zip extracted as the task, its layer (manifest.json's)
# bind-mounted at /opt in a mount namespace of its own, with Lambda's search paths.
run_from_zip() {
	local name=$1 out=$2 cmdof=${3:-$1} layer dir=$WORK/run/$1
	rm -rf "$dir"
	mkdir -p "$dir/task" "$dir/opt"
	(cd "$dir/task" && unzip -q "$out/functions/$name.zip")
	layer=$(json "next((f['layer']['name'] or '') for f in m['functions'] if f['name'] == '$name')" \
		"$out/manifest.json")
	if [[ -n $layer ]]; then (cd "$dir/opt" && unzip -q "$out/layers/$layer.zip"); fi
	case $cmdof in
	p_*) set -- env PYTHONPATH=/opt/python LD_LIBRARY_PATH=lib:/opt/lib PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 -S "$cmdof.py" ;;
	*) set -- env NODE_PATH=/opt/nodejs/node_modules "$(command -v node)" "$cmdof.js" ;;
	esac
	unshare -m bash -c 'mount --make-rprivate / && mount --bind "$1" /opt && cd "$2" && shift 2 &&
		exec "$@"' _ "$dir/opt" "$dir/task" "$@" >"$dir.out" 2>&1 || true
}

echo "== the oracle: the zips without --layer, and which top-level units two of them share"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o plain
check "batch without --layer exits 0 (exit $RC)" test "$RC" -eq 0
check "without --layer there is no layer and no manifest.json" \
	test ! -e "$WORK/plain/layers" -a ! -e "$WORK/plain/manifest.json"
# A unit as the zips show it: a top-level package (its files under it), a module (x.py and
# its __pycache__/x.*.pyc), a lib/ object, a node_modules package; metadata directories go
# with their package in the layer, so they are left out of both sides. Shared: the same
# names and CRCs in at least two zips of one runtime.
cat >"$WORK/oracle.py" <<'PY'
import collections, json, re, sys, zipfile

def units(path):
    u = collections.defaultdict(list)
    for i in zipfile.ZipFile(path).infolist():
        n = i.filename
        if n.endswith('/'):
            continue
        p = n.split('/')
        if p[0] == 'node_modules' and len(p) > 2:
            k = 'node_modules/' + '/'.join(p[1:3] if p[1].startswith('@') else p[1:2])
        elif p[0] == 'lib' and len(p) == 2 and '.so' in p[1]:
            k = n
        elif p[0] == '__pycache__' and len(p) == 2:
            k = 'py:' + p[1].split('.')[0]
        elif len(p) == 1 and n.endswith('.py'):
            k = 'py:' + n[:-3]
        elif len(p) > 1 and re.search(r'\.(dist|egg)-info$', p[0]) is None and p[0] not in (
                'lib', 'data', 'node_modules', '__pycache__'):
            k = 'py:' + p[0]
        else:
            continue
        u[k].append((n, i.CRC))
    return {k: tuple(sorted(v)) for k, v in u.items()}

seen = collections.Counter()
for z in sys.argv[1:]:
    for k, sig in units(z).items():
        seen[(k, sig)] += 1
print('\n'.join(sorted({k for (k, sig), n in seen.items() if n >= 2})))
PY
shared() { python3 "$WORK/oracle.py" "$@"; }
shared "$WORK"/plain/functions/p_*.zip >"$WORK/py.expected"
shared "$WORK"/plain/functions/n_*.zip >"$WORK/node.expected"
# What a layer zip holds, in the oracle's words.
in_layer() {
	unzip -Z1 "$1" | python3 -c '
import re, sys
out = set()
for n in sys.stdin.read().split():
    p = n.rstrip("/").split("/")
    if p[0] == "python" and len(p) >= 2 and p[1] != "__pycache__" and not re.search(r"\.(dist|egg)-info$", p[1]):
        out.add("py:" + (p[1][:-3] if p[1].endswith(".py") else p[1]))
    elif p[0] == "lib" and len(p) == 2:
        out.add(n)
    elif p[:2] == ["nodejs", "node_modules"] and len(p) >= 3:
        out.add("node_modules/" + "/".join(p[2:4] if p[2].startswith("@") else p[2:3]))
print("\n".join(sorted(out)))'
}

echo "== batch --layer"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o out --layer
check "batch --layer exits 0 (exit $RC)" test "$RC" -eq 0
check "six function zips" test "$(ls "$WORK/out/functions" | wc -l)" -eq 6
check "a layer per runtime: python.zip and nodejs.zip" \
	test -s "$WORK/out/layers/python.zip" -a -s "$WORK/out/layers/nodejs.zip"
check "the oracle sees shared Python units (yaml, requests, libyaml) and Node ones" \
	bash -c 'grep -qx py:yaml "$1" && grep -qx py:requests "$1" && grep -qx lib/libyaml-0.so.2 "$1" &&
		grep -qx node_modules/chalk "$2" && grep -qx node_modules/lodash "$2"' _ \
	"$WORK/py.expected" "$WORK/node.expected"
in_layer "$WORK/out/layers/python.zip" >"$WORK/py.got"
in_layer "$WORK/out/layers/nodejs.zip" >"$WORK/node.got"
check "the python layer holds exactly the shared units" diff "$WORK/py.expected" "$WORK/py.got"
check "the nodejs layer holds exactly the shared units" diff "$WORK/node.expected" "$WORK/node.got"
check "what one function keeps alone stays with it: ms, semver, p_yaml's data" \
	bash -c '! grep -qE "node_modules/(ms|semver)$|^data|p_yaml" "$1" "$2" &&
		unzip -Z1 "$3/n_ms.zip" | grep -q "^node_modules/ms/" &&
		unzip -Z1 "$3/p_yaml.zip" | grep -qx data/blob.txt' _ \
	"$WORK/py.got" "$WORK/node.got" "$WORK/out/functions"
check "the layout is Lambda's: python/, lib/, nodejs/node_modules/" \
	bash -c 'unzip -Z1 "$1/python.zip" | grep -qx python/yaml/__init__.py &&
		unzip -Z1 "$1/python.zip" | grep -qx lib/libyaml-0.so.2 &&
		unzip -Z1 "$1/nodejs.zip" | grep -qx nodejs/node_modules/chalk/package.json' _ \
	"$WORK/out/layers"
check "a function zip leaves out what its layer holds" \
	bash -c '! unzip -Z1 "$1/p_both.zip" | grep -qE "^(yaml|requests|lib)/" &&
		! unzip -Z1 "$1/n_color.zip" | grep -qE "^node_modules/(chalk|lodash)/"' _ \
	"$WORK/out/functions"
for f in "${FNS[@]}"; do
	run_from_zip "$f" "$WORK/out"
	check "$f runs from its zip with its layer at /opt and prints what the full tree did" \
		cmp "$M/expected/$f" "$WORK/run/$f.out"
done
check "manifest.json: p_both uses the python layer, from its runtime key" \
	test "$(json "[f['layers'] for f in m['functions'] if f['name'] == 'p_both'][0]" "$WORK/out/manifest.json")" = "['python']"
check "manifest.json: every layer unit has two users" \
	test "$(json "min(len(u['users']) for L in m['layers'] for u in L['units'])" "$WORK/out/manifest.json")" -ge 2
check "manifest.json: totals add the function zips and the layers" \
	test "$(json "m['totals']['after_bytes'] == m['totals']['zip_bytes'] + m['totals']['layer_zip_bytes'] > 0" "$WORK/out/manifest.json")" = True
check "the summary gives each function's before and after and its layer" \
	grep -qE '^ +before [0-9,]+ files .*, after [0-9,]+ files .* \+ layer python: [0-9]+ units' "$WORK/last.err"
check "the summary gives the layers' sizes" \
	grep -qE '^layer python +[0-9]+ units, .* used by 3 functions' "$WORK/last.err"
check "and the total bytes deployed before and after" \
	grep -qE '^deployed: before .* \(6 full trees\), after .* \(function zips .* \+ layers .*\)$' \
	"$WORK/last.err"

sha256sum "$WORK"/out/layers/*.zip >"$WORK/layers.sha"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o out --layer
check "a rerun exits 0 (exit $RC)" test "$RC" -eq 0
check "a rerun writes the same layer bytes" sha256sum -c --quiet "$WORK/layers.sha"

echo "== --max-unzipped: p_yaml (3 MB of data of its own) would break it with the layer"
max=$(python3 - "$WORK/out/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
f = {x['name']: x for x in m['functions']}
L = next(l['bytes'] for l in m['layers'] if l['name'] == 'python')
kept = lambda n: f[n]['after']['bytes'] + f[n]['layer']['bytes']
ok = max(max(kept(n), f[n]['after']['bytes'] + L) for n in ('p_both', 'p_req')) + 1
assert ok < f['p_yaml']['after']['bytes'] + L, 'the fixture cannot tell them apart'
print(ok)
PY
)
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o small --layer --max-unzipped "$max"
check "batch --max-unzipped $max exits 0 (exit $RC)" test "$RC" -eq 0
check "the summary says p_yaml is left out of the layer and keeps its own copy" \
	grep -qE '^ +before .*; left out of the layer: .* unzipped with it is over --max-unzipped \(keeps its own copy\)' \
	"$WORK/last.err"
check "manifest.json says too-big for p_yaml" \
	test "$(json "[x['layer']['state'] for x in m['functions'] if x['name'] == 'p_yaml'][0]" "$WORK/small/manifest.json")" = too-big
check "yaml, now kept by one layer user only, is dropped from the layer, named with why" \
	bash -c '! unzip -Z1 "$1/layers/python.zip" | grep -q "^python/yaml/" &&
		grep -q "^not in a layer: py-package:yaml (kept by 2 functions; functions that keep it are left out of the layer)" "$2"' _ \
	"$WORK/small" "$WORK/last.err"
check "p_yaml's zip holds its own yaml" \
	bash -c 'unzip -Z1 "$1" | grep -qx yaml/__init__.py' _ "$WORK/small/functions/p_yaml.zip"
for f in p_both p_yaml; do
	run_from_zip "$f" "$WORK/small"
	check "$f still runs from its zip (and the smaller layer)" cmp "$M/expected/$f" "$WORK/run/$f.out"
done

echo "== a package at two versions in two trees is two units; five own layers leave no room"
EXTRA_n_sem=$(printf 'layers = arn:aws:lambda:eu-west-1:1:layer:l%d:1\n' 1 2 3 4 5)
manifest "$WORK/v.ini" p_yaml p_both p_yaml_v2:py2:p_yaml n_color n_sem
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch v.ini -j 2 -o v --layer
check "batch on two trees exits 0 (exit $RC)" test "$RC" -eq 0
check "the layer's yaml is the first tree's, shared by p_yaml and p_both" \
	test "$(json "[u['users'] for L in m['layers'] for u in L['units'] if u['name'] == 'yaml'][0]" "$WORK/v/manifest.json")" = "['p_yaml', 'p_both']"
check "p_yaml_v2 keeps its other yaml in its zip" \
	bash -c 'unzip -p "$1" yaml/__init__.py | grep -q "another version"' _ \
	"$WORK/v/functions/p_yaml_v2.zip"
check "and uses the layer only for what is the same (libyaml)" \
	test "$(json "[x['layer']['units'] for x in m['functions'] if x['name'] == 'p_yaml_v2'][0]" "$WORK/v/manifest.json")" = 1
run_from_zip p_yaml_v2 "$WORK/v" p_yaml
check "p_yaml_v2 runs from its zip with the layer" cmp "$M/expected/p_yaml" "$WORK/run/p_yaml_v2.out"
check "n_sem with five layers of its own is left out, and the summary says so" \
	grep -qE "^ +before .*; left out of the layer: its 5 own layers leave no room" "$WORK/last.err"
check "so lodash has one user and no layer; nothing Node is shared" \
	test ! -e "$WORK/v/layers/nodejs.zip"
check "manifest.json lists n_sem's own layers" \
	test "$(json "len([x for x in m['functions'] if x['name'] == 'n_sem'][0]['layers'])" "$WORK/v/manifest.json")" = 5

echo "== a layer zip over 50 MB is worth a warning"
big=$WORK/big/task
mkdir -p "$big/blob"
head -c 53000000 /dev/urandom >"$big/blob/data.bin"
printf 'with open(__file__.rsplit("/", 1)[0] + "/data.bin", "rb") as f:\n    N = len(f.read())\n' \
	>"$big/blob/__init__.py"
echo 'import blob; print("one", blob.N)' >"$big/one.py"
echo 'import blob; print("two", blob.N)' >"$big/two.py"
printf '[function one]\ntree = big/task\ncommand = cd big/task && python3 -S one.py\n[function two]\ntree = big/task\ncommand = cd big/task && python3 -S two.py\n' >"$WORK/big.ini"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch big.ini -o big/out --layer
check "batch with a big shared package exits 0 (exit $RC)" test "$RC" -eq 0
check "the python layer holds it, over 50 MB" \
	test "$(stat -c %s "$WORK/big/out/layers/python.zip")" -gt 52428800
check "and the summary warns about it" \
	grep -q "warning: layer python: its zip is .*, over 50 MB" "$WORK/last.err"
rm -rf "$WORK/big"

echo "== --verify: every function re-run on its zip with its layer at /opt"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o out --layer --verify
check "batch --layer --verify exits 0 (exit $RC)" test "$RC" -eq 0
check "all six are verified" test "$(grep -c ' verified$' "$WORK/last.err")" -eq 6
check "manifest.json says so" \
	test "$(json "all(f['verified'] for f in m['functions'])" "$WORK/out/manifest.json")" = True
# Its second run (verify's) reads a file the recorded run did not: the zip lacks it.
cat >"$WORK/late.ini" <<'INI'
[function late]
tree = py/task
command = cd py/task && if [ -e ../../late.seen ]; then cat data/table.yaml; else touch ../../late.seen; fi && python3 -S p_req.py
INI
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch late.ini -o late --verify
check "a function whose zip misses a file fails --verify with exit 8 (exit $RC)" test "$RC" -eq 8
check "named, with the file" \
	grep -qE '^late +FAILED +verifying .*its zip lacks [0-9]+ files the tree has \(first: data/table.yaml\)' \
	"$WORK/last.err"

printf '[function f]\ntree = py/task\ncommand = true\n' >"$WORK/one.ini"
RUN_CWD=$WORK run "$SLIMZIP" batch one.ini -o x --max-unzipped 10
check "--max-unzipped without --layer is a usage error (exit $RC)" test "$RC" -eq 2
check "naming --layer" grep -q "add --layer" "$WORK/last.err"
RUN_CWD=$WORK run "$SLIMZIP" batch one.ini -o x --layer --layer-min-users 0
check "--layer-min-users 0 is refused (exit $RC)" test "$RC" -eq 2
e2e_finish
