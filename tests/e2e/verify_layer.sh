#!/usr/bin/env bash
# verify --layer: a function whose package lives only in a layer zip. Without the layer,
# verify names the package's files missing (exit 8); with it, the layer is at /opt (read-only)
# with Lambda's search paths and verify passes. Python (PYTHONPATH /opt/python) and Node
# (NODE_PATH /opt/nodejs/node_modules) the same; a later layer overwrites an earlier one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

# A zip of a directory's contents, made by zip(1) (as a user's own layer would be).
zipdir() { (cd "$1" && rm -f "$2" && zip -qr "$2" .); }

# --- Python: the function zip holds handler.py alone; layerpkg is the layer's. ---
py=$WORK/py
mkdir -p "$py/layerpkg"
echo 'import layerpkg; print("value", layerpkg.VALUE)' >"$py/handler.py"
echo 'VALUE = "tree"' >"$py/layerpkg/__init__.py"
(cd "$py" && zip -q "$WORK/py.zip" handler.py)
mkdir -p "$WORK/l1/python/layerpkg" "$WORK/l2/python/layerpkg"
echo 'VALUE = "one"' >"$WORK/l1/python/layerpkg/__init__.py"
echo 'VALUE = "two"' >"$WORK/l2/python/layerpkg/__init__.py"
zipdir "$WORK/l1" "$WORK/layer1.zip"
zipdir "$WORK/l2" "$WORK/layer2.zip"
pycmd=(sh -c 'exec python3 -S "$1/handler.py" >"$2"' _ "$py" "$WORK/py.out")

run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" -- "${pycmd[@]}"
check "python without --layer: exit 8 (exit $RC)" test "$RC" -eq 8
check "python without --layer: layerpkg/__init__.py is named missing" \
	grep -q 'layerpkg/__init__.py' "$WORK/last.out" "$WORK/last.err"

run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$WORK/layer1.zip" -- "${pycmd[@]}"
check "python with --layer: exit 0 (exit $RC)" test "$RC" -eq 0
check "python with --layer: the package came from the layer" grep -qx 'value one' "$WORK/py.out"

run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$WORK/layer1.zip" \
	--layer "$WORK/layer2.zip" -- "${pycmd[@]}"
check "two layers: exit 0 (exit $RC)" test "$RC" -eq 0
check "two layers: the later one overwrote the earlier one" grep -qx 'value two' "$WORK/py.out"

# The layer is read-only at /opt, and the host's /opt is untouched after the runs.
before=$(ls -A /opt | sha256sum)
run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$WORK/layer1.zip" -- \
	sh -c 'python3 -S "$1/handler.py" && ! touch /opt/python/x 2>/dev/null' _ "$py"
check "the layer is read-only at /opt (exit $RC)" test "$RC" -eq 0
check "the host's /opt is as it was" test "$(ls -A /opt | sha256sum)" = "$before"
check "no extraction directory is left beside the zips" \
	test -z "$(find "$WORK" -maxdepth 1 -name 'slimzip-verify-*')"

# --- Node: index.js requires layermod, which the zip lacks and the layer has. ---
nd=$WORK/node
mkdir -p "$nd/node_modules/layermod"
echo 'console.log("value", require("layermod").v)' >"$nd/index.js"
echo 'module.exports = {v: "tree"}' >"$nd/node_modules/layermod/index.js"
(cd "$nd" && zip -q "$WORK/node.zip" index.js)
mkdir -p "$WORK/ln/nodejs/node_modules/layermod"
echo 'module.exports = {v: "layer"}' >"$WORK/ln/nodejs/node_modules/layermod/index.js"
zipdir "$WORK/ln" "$WORK/nodelayer.zip"
nodecmd=(sh -c 'exec node "$1/index.js" >"$2"' _ "$nd" "$WORK/node.out")

run "$SLIMZIP" verify "$WORK/node.zip" --tree "$nd" -- "${nodecmd[@]}"
check "node without --layer: exit 8 (exit $RC)" test "$RC" -eq 8
check "node without --layer: node_modules/layermod/index.js is named missing" \
	grep -q 'node_modules/layermod/index.js' "$WORK/last.out" "$WORK/last.err"

run "$SLIMZIP" verify "$WORK/node.zip" --tree "$nd" --layer "$WORK/nodelayer.zip" -- "${nodecmd[@]}"
check "node with --layer: exit 0 (exit $RC)" test "$RC" -eq 0
check "node with --layer: the module came from the layer" grep -qx 'value layer' "$WORK/node.out"

# --- Bad input: one line naming it, exit 6; more than five layers: exit 2. ---
run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$WORK/nope.zip" -- true
check "a missing layer: exit 6 (exit $RC)" test "$RC" -eq 6
check "a missing layer is named in one line" \
	test "$(grep -c 'nope.zip' "$WORK/last.err")" -eq 1
echo 'not a zip' >"$WORK/bad.zip"
run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$WORK/bad.zip" -- true
check "an unreadable layer: exit 6 (exit $RC)" test "$RC" -eq 6
check "an unreadable layer is named" grep -q 'bad.zip' "$WORK/last.err"
l=$WORK/layer1.zip
run "$SLIMZIP" verify "$WORK/py.zip" --tree "$py" --layer "$l" --layer "$l" --layer "$l" \
	--layer "$l" --layer "$l" --layer "$l" -- true
check "six layers: exit 2 (exit $RC)" test "$RC" -eq 2
e2e_finish
