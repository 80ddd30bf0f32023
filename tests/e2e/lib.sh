# shellcheck shell=bash
# Shared helpers for the end-to-end tests (sourced). meson sets SLIMZIP (the binary) and
# SLIMZIP_SRC (the source root). Fixtures are built on demand into
# ${SLIMZIP_FIXTURES:-$SLIMZIP_SRC/.fixtures} by tests/fixtures/build-fixtures.
#
# Every check prints one line, "ok: ..." or "FAIL: ..."; e2e_finish prints
# "e2e: N passed, N failed" and exits 1 when anything failed.

: "${SLIMZIP:?set SLIMZIP to the slimzip binary}"
: "${SLIMZIP_SRC:?set SLIMZIP_SRC to the source root}"
FIXTURES=${SLIMZIP_FIXTURES:-$SLIMZIP_SRC/.fixtures}
E2E_PASSED=0
E2E_FAILED=0

# Not root: skip (77), or fail when SLIMZIP_REQUIRE_BPF=1 (CI).
e2e_require_root() {
	((EUID == 0)) && return 0
	if [[ ${SLIMZIP_REQUIRE_BPF:-0} == 1 ]]; then
		echo "FAIL: needs root to load the BPF recorder and SLIMZIP_REQUIRE_BPF=1"
		exit 1
	fi
	echo "SKIP: needs root to load the BPF recorder"
	exit 77
}

# A scratch directory, removed at exit unless SLIMZIP_KEEP_WORK=1.
e2e_workdir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/slimzip-e2e.XXXXXX")
	if [[ ${SLIMZIP_KEEP_WORK:-0} == 1 ]]; then
		echo "work directory (kept): $WORK"
	else
		trap 'rm -rf "$WORK"' EXIT
	fi
}

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	echo "ok: $*"
}
fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "FAIL: $*"
}
# check DESCRIPTION COMMAND...: pass when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

e2e_finish() {
	echo "e2e: $E2E_PASSED passed, $E2E_FAILED failed"
	((E2E_FAILED == 0)) || exit 1
	exit 0
}

# Show a command, run it (in $RUN_CWD when set), keep its exit code in RC and its output in
# $WORK/last.out/.err (printed, indented). Never aborts the test.
RC=0
run() {
	echo "\$ ${RUN_CWD:+(cd $RUN_CWD) }$*"
	RC=0
	(cd "${RUN_CWD:-.}" && exec "$@") >"$WORK/last.out" 2>"$WORK/last.err" || RC=$?
	sed 's/^/  | /' "$WORK/last.out" "$WORK/last.err"
	echo "  exit $RC"
}

# fixture_prepare NAME: build the fixture if needed and copy its tree to $WORK/NAME/tree, so
# nothing a test does can change the cached fixture. Sets TREE, FIXTURE_CMD (array, run from
# inside the tree) and EXPECTED (file with the output of FIXTURE_CMD on the full tree).
fixture_prepare() {
	local name=$1
	"$SLIMZIP_SRC/tests/fixtures/build-fixtures" "$FIXTURES" "$name"
	mkdir -p "$WORK/$name"
	TREE=$WORK/$name/tree
	rm -rf "$TREE"
	cp -a "$FIXTURES/$name/task" "$TREE"
	mapfile -t FIXTURE_CMD <"$FIXTURES/$name/cmd"
	EXPECTED=$FIXTURES/$name/expected
}

# fixture_alone NAME: fixture_prepare NAME, then its command run alone in the tree. Sets D
# ($WORK/NAME) and alone (that run's stdout: what a recorded run's stdout must equal).
fixture_alone() {
	fixture_prepare "$1"
	D=$WORK/$1
	alone=$D/alone.out
	run_in "$TREE" "$alone"
}

# Regular files and their bytes under a directory: "N files, N bytes".
tree_size() {
	find "$1" -type f -printf '%s\n' | awk '{s += $1; n++} END {printf "%d files, %d bytes\n", n, s}'
}

# contains FILE PART: FILE's text holds PART's text (slimzip may print a summary around the
# recorded command's own output).
contains() {
	/usr/bin/python3 -c 'import sys; sys.exit(open(sys.argv[2]).read() not in open(sys.argv[1]).read())' "$1" "$2"
}

# Run the fixture command inside DIR, output to FILE.
run_in() {
	local dir=$1 out=$2
	(cd "$dir" && "${FIXTURE_CMD[@]}") >"$out" 2>"$out.err"
}

# Extract ZIP into a fresh DIR.
extract() {
	local zip=$1 dir=$2
	rm -rf "$dir"
	mkdir -p "$dir"
	unzip -q "$zip" -d "$dir"
}

# e2e_roundtrip NAME [extra run options...]: the main flow on one fixture:
#   slimzip run on the tree -> zip; extract it elsewhere; same command, same output;
#   slimzip verify passes. Leaves ZIP (the zip) set for further checks.
e2e_roundtrip() {
	local name=$1
	shift
	fixture_prepare "$name"
	ZIP=$WORK/$name/out.zip
	local report=$WORK/$name/report.json

	echo "== $name: slimzip run"
	echo "command (in the tree): ${FIXTURE_CMD[*]}"
	RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$ZIP" --report "$report" "$@" \
		-- "${FIXTURE_CMD[@]}"
	check "slimzip run exits 0 on the $name fixture (exit $RC)" test "$RC" -eq 0
	check "slimzip run wrote $ZIP" test -s "$ZIP"
	check "the command's output under slimzip run contains the output on the full tree" \
		contains "$WORK/last.out" "$EXPECTED"
	check "slimzip run wrote the report $report" test -s "$report"
	[[ -s $ZIP ]] || return 0

	local ex=$WORK/$name/extracted
	check "the zip extracts with unzip" extract "$ZIP" "$ex"
	echo "before: $(tree_size "$TREE")"
	echo "after:  $(tree_size "$ex") (zip: $(stat -c %s "$ZIP") bytes)"
	local before after
	before=$(find "$TREE" -type f | wc -l)
	after=$(find "$ex" -type f | wc -l)
	check "pruning dropped files ($before -> $after)" test "$after" -lt "$before"

	echo "== $name: the same command in the extracted copy"
	local rc=0
	run_in "$ex" "$WORK/$name/pruned.out" || rc=$?
	sed 's/^/  | /' "$WORK/$name/pruned.out" "$WORK/$name/pruned.out.err"
	check "the command exits 0 in the extracted copy (exit $rc)" test "$rc" -eq 0
	check "the extracted copy prints the same output as the full tree" \
		diff -u "$EXPECTED" "$WORK/$name/pruned.out"

	echo "== $name: slimzip verify"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$ZIP" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "slimzip verify passes on the zip made by run (exit $RC)" test "$RC" -eq 0
}

# e2e_verify_catches NAME RELPATH: delete RELPATH (needed) from a copy of ZIP; verify must exit
# 8 and name it; verify --fix must put it back and a second verify pass.
e2e_verify_catches() {
	local name=$1 rel=$2
	local broken=$WORK/$name/broken.zip
	echo "== $name: verify catches a deleted needed file ($rel)"
	cp "$ZIP" "$broken"
	run zip -d "$broken" "$rel"
	check "zip -d removed $rel from the copy" test "$RC" -eq 0
	RUN_CWD=$TREE run "$SLIMZIP" verify "$broken" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "verify exits 8 (EXIT_VERIFY_MISSING) when $rel is missing (exit $RC)" test "$RC" -eq 8
	check "verify names $rel" grep -qF "$rel" "$WORK/last.out" "$WORK/last.err"

	RUN_CWD=$TREE run "$SLIMZIP" verify "$broken" --tree "$TREE" --fix -- "${FIXTURE_CMD[@]}"
	check "verify --fix exits 0 (exit $RC)" test "$RC" -eq 0
	check "verify --fix put $rel back into the zip" \
		bash -c 'unzip -Z1 "$1" | grep -qxF "$2"' _ "$broken" "$rel"
	RUN_CWD=$TREE run "$SLIMZIP" verify "$broken" --tree "$TREE" -- "${FIXTURE_CMD[@]}"
	check "verify passes on the repaired zip (exit $RC)" test "$RC" -eq 0
}
