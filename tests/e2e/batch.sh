#!/usr/bin/env bash
# slimzip batch (issue 11): the functions of a manifest are recorded at once, each command in a
# cgroup of its own through one recorder, and each function gets the zip of exactly what its
# own commands used (two functions share one tree here); a function whose command fails is
# named with its status and gets no zip while the others do; host packages are refused (batch
# is CI use); a bad manifest is refused with FILE:LINE before anything runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

app=$WORK/app
mkdir -p "$app/lib" "$WORK/host/site-packages/hostpkg"
echo 'import lib.a; print("orders", lib.a.X)' >"$app/orders.py"
echo 'import lib.b; print("users", lib.b.Y)' >"$app/users.py"
echo 'import hostpkg; print("host", hostpkg.Z)' >"$app/hostuse.py"
echo 'X = 1' >"$app/lib/a.py"
echo 'Y = 2' >"$app/lib/b.py"
echo 'unused = 3' >"$app/lib/c.py"
: >"$app/lib/__init__.py"
echo 'Z = 4' >"$WORK/host/site-packages/hostpkg/__init__.py"
# Each of the first two commands waits for the other to start: they only both finish when
# batch runs them at the same time (-j 2), each followed in its own cgroup.
wait_for() { echo "n=0; touch ../$1.ready; until [ -e ../$2.ready ]; do n=\$((n+1)); [ \$n -lt 200 ] || exit 9; sleep 0.05; done"; }
cat >"$WORK/m.ini" <<INI
[function orders]
tree = app
command = cd app && $(wait_for orders users) && python3 -S orders.py >../orders.out
command = cd app && python3 -S -c "import lib.a"

[function users]
tree = app
command = cd app && $(wait_for users orders) && python3 -S users.py >../users.out

[function broken]
tree = app
command = cd app && python3 -S -c "raise SystemExit(3)"

[function host]
tree = app
command = cd app && PYTHONPATH=$WORK/host/site-packages python3 -S hostuse.py
INI

RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m.ini -j 2 -o out
check "batch exits with the first failing function's status, broken's 3 (exit $RC)" \
	test "$RC" -eq 3
# Each writes its own file: two commands at once on one stdout interleave their bytes.
check "the two waiting commands ran at once: both ended ok (neither timed out waiting)" \
	bash -c '[[ $(grep -c "\.ready ]; do .*: ok$" "$1") == 2 ]]' _ "$WORK/last.err"
check "and printed their output" \
	bash -c 'grep -qx "orders 1" "$1/orders.out" && grep -qx "users 2" "$1/users.out"' _ "$WORK"
zips=$WORK/out/functions
list() { unzip -Z1 "$1" | sort | tr '\n' ' '; }
check "orders.zip holds what orders' two commands used, nothing of users'" \
	test "$(list "$zips/orders.zip")" = "lib/ lib/__init__.py lib/a.py orders.py "
check "users.zip holds what users used, nothing of orders'" \
	test "$(list "$zips/users.zip")" = "lib/ lib/__init__.py lib/b.py users.py "
check "broken gets no zip" test ! -e "$zips/broken.zip"
check "the summary names broken, its command and its status" \
	grep -qE '^broken +FAILED +recording .*raise SystemExit\(3\).* \(exit 3\)' "$WORK/last.err"
check "host gets no zip: its host package is refused" test ! -e "$zips/host.zip"
check "the summary names the host package" \
	grep -qE '^host +FAILED +pruning.*hostpkg' "$WORK/last.err"
check "2 of 4 functions zipped" grep -qx "slimzip batch: 2 of 4 functions zipped" "$WORK/last.err"
check "the zips carry the policy comment as prune's do" \
	bash -c 'unzip -z "$1" | grep -q "{\"slimzip\":"' _ "$zips/orders.zip"
mkdir -p "$WORK/x"
(cd "$WORK/x" && unzip -q "$zips/orders.zip" && python3 -S orders.py) >"$WORK/x.out" 2>&1 || true
check "the extracted orders zip runs" grep -qx "orders 1" "$WORK/x.out"

printf '[function h]\ntree = app\ncommand = cd app && PYTHONPATH=%s python3 -S hostuse.py\n' \
	"$WORK/host/site-packages" >"$WORK/h.ini"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch h.ini -o out
check "a batch whose only failure is a host package exits 10 (exit $RC)" test "$RC" -eq 10
printf '[function h]\ntree = app\ncommand = cd app && PYTHONPATH=%s python3 -S hostuse.py\nstrict-host = no\n' \
	"$WORK/host/site-packages" >"$WORK/h2.ini"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch h2.ini -o out
check "strict-host = no lets it through (exit $RC)" test "$RC" -eq 0 -a -s "$zips/h.zip"

printf '[function f]\ntree = app\ncommand = true\nbogus = 1\n' >"$WORK/bad.ini"
RUN_CWD=$WORK run "$SLIMZIP" batch bad.ini -o out
check "a bad manifest is refused with exit 6 (exit $RC)" test "$RC" -eq 6
check "naming the file and line" grep -q "bad.ini:4: " "$WORK/last.err"
echo "== each function's merged profile, its tree-root its tree: merge refuses two trees"
profs=$WORK/out/profiles
check "orders' merged profile is written to OUTDIR/profiles" test -s "$profs/orders.profile"
check "... its tree-root is the [function]'s tree" \
	grep -qx "# tree-root: $(realpath "$app")" "$profs/orders.profile"
check "... it holds both of orders' commands' files" \
	bash -c 'grep -q "/orders.py$" "$1" && grep -q "/lib/a.py$" "$1"' _ "$profs/orders.profile"
cp -a "$app" "$WORK/app2"
printf '[function other]\ntree = app2\ncommand = cd app2 && python3 -S users.py\n\n[function lambda]\ntree = app\ntree-path-as = /var/task/\ncommand = true\n' >"$WORK/m2.ini"
RUN_CWD=$WORK run env -u CI "$SLIMZIP" batch m2.ini -o out2
# lambda records nothing of its tree where it is (it says it was recorded at /var/task): refused,
# but its profile is written first.
check "a batch over another tree zips it" test -s "$WORK/out2/functions/other.zip"
check "... its profile's tree-root is that tree" \
	grep -qx "# tree-root: $(realpath "$WORK/app2")" "$WORK/out2/profiles/other.profile"
check "... and tree-path-as, cleaned, where the section gives one" \
	grep -qx "# tree-root: /var/task" "$WORK/out2/profiles/lambda.profile"
run "$SLIMZIP" merge -o "$WORK/mixed.profile" "$profs/users.profile" "$WORK/out2/profiles/other.profile"
check "merge of two batch profiles of different trees refuses: exit 6 (exit $RC)" test "$RC" -eq 6
check "... naming both trees, writing nothing" \
	bash -c 'grep -q "$2" "$1" && grep -q "$3" "$1" && test ! -e "$4"' _ "$WORK/last.err" \
	"$(realpath "$app")" "$(realpath "$WORK/app2")" "$WORK/mixed.profile"
run "$SLIMZIP" merge -o "$WORK/same.profile" "$profs/users.profile" "$profs/orders.profile"
check "two of one tree merge (exit $RC)" test "$RC" -eq 0
RUN_CWD=$app run "$SLIMZIP" run --tree . -o "$WORK/run.zip" --profile-out "$WORK/run.profile" \
	-- python3 -S users.py
check "run's profile names its tree as tree-root (exit $RC)" \
	grep -qx "# tree-root: $(realpath "$app")" "$WORK/run.profile"
echo "== an AWS SAM template: trees from the template, commands from slimzip.ini beside it"
sam=$WORK/sam
mkdir -p "$sam"
cp -a "$app" "$sam/src"
# sam build's copy of UsersFn is the tree batch prunes for it, not CodeUri.
mkdir -p "$sam/.aws-sam/build"
cp -a "$app" "$sam/.aws-sam/build/UsersFn"
cat >"$sam/template.yaml" <<'YAML'
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: orders.handler
      Layers: [!Ref Deps]
  UsersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: users.handler
  ImageFn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
YAML
cat >"$sam/slimzip.ini" <<'INI'
[function OrdersFn]
command = cd src && python3 -S orders.py

[function UsersFn]
command = cd .aws-sam/build/UsersFn && python3 -S users.py
INI
RUN_CWD=$sam run env -u CI "$SLIMZIP" batch template.yaml -o out
check "batch on the template exits 0 (exit $RC)" test "$RC" -eq 0
check "OrdersFn's zip comes from CodeUri src/ and holds orders' files only" \
	test "$(list "$sam/out/functions/OrdersFn.zip")" = "lib/ lib/__init__.py lib/a.py orders.py "
check "UsersFn's zip comes from .aws-sam/build/UsersFn" \
	test "$(list "$sam/out/functions/UsersFn.zip")" = "lib/ lib/__init__.py lib/b.py users.py "
check "the image function is named as not recorded" \
	grep -q "ImageFn has no commands .*container image" "$WORK/last.err"
printf '[function Nope]\ncommand = true\n' >"$sam/bad.ini"
RUN_CWD=$sam run "$SLIMZIP" batch template.yaml --commands bad.ini -o out
check "a section the template lacks is refused with exit 6 (exit $RC)" test "$RC" -eq 6
check "naming the file, the line and the template's functions" \
	grep -q "bad.ini:1: \[function Nope\] is no AWS::Serverless::Function.*(OrdersFn, UsersFn)" \
	"$WORK/last.err"
echo "== SAM's Handler is the entry point: batch --layer keeps its file in the function's zip"
sl=$WORK/samlayer
for f in A B; do
	mkdir -p "$sl/fn$f"
	printf 'import shared\ndef handler(event, context):\n    return shared.V\n' >"$sl/fn$f/app.py"
	echo 'V = "shared"' >"$sl/fn$f/shared.py"
done
cat >"$sl/template.yaml" <<'YAML'
Resources:
  FnA:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fnA/, Handler: app.handler, Runtime: python3.12}
  FnB:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fnB/, Handler: app.handler, Runtime: python3.12}
YAML
# The commands import the handler's module as Lambda does, never naming app.py by path.
printf '[function FnA]\ncommand = cd fnA && python3 -S -c "import app; print(app.handler(0, 0))"\n\n[function FnB]\ncommand = cd fnB && python3 -S -c "import app; print(app.handler(0, 0))"\n' >"$sl/slimzip.ini"
RUN_CWD=$sl run env -u CI "$SLIMZIP" batch template.yaml --layer -o out
check "batch --layer on the template exits 0 (exit $RC)" test "$RC" -eq 0
check "the shared module the handler imports goes to the layer" \
	test "$(list "$sl/out/layers/python.zip" | tr ' ' '\n' | grep -c '^python/shared.py$')" -eq 1
check "the Handler's app.py stays in each function's zip, not in the layer" \
	bash -c 'unzip -Z1 "$1" | grep -qx app.py && unzip -Z1 "$2" | grep -qx app.py &&
		! unzip -Z1 "$3" | grep -q app.py' _ \
	"$sl/out/functions/FnA.zip" "$sl/out/functions/FnB.zip" "$sl/out/layers/python.zip"
e2e_finish
