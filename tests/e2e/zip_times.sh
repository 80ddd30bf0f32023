#!/usr/bin/env bash
# A zip unzipped in another time zone: Info-ZIP's unzip reads DOS times as local time, so
# without the "UT" extended timestamp every mtime moves by the zone's offset and each
# timestamp-based .pyc of the python fixture is stale. With it, the extracted tree has the true
# mtimes, and Python (bytecode writing allowed, the tree read-only as on Lambda) uses every
# kept .pyc as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

fixture_prepare python
zip=$WORK/python/out.zip
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$zip" -- "${FIXTURE_CMD[@]}"
check "slimzip run exits 0 (exit $RC)" test "$RC" -eq 0
[[ -s $zip ]] || e2e_finish

ex=$WORK/python/extracted
rm -rf "$ex"
mkdir -p "$ex"
check "unzip in New York extracts the zip" env TZ=America/New_York unzip -q "$zip" -d "$ex"

# Every extracted file has the mtime of its tree original, to the second.
mtimes() { (cd "$1" && find . -type f -printf '%p %T@\n' | sed 's/\.[0-9]*$//' | sort); }
mtimes "$ex" >"$WORK/ex.mtimes"
join "$WORK/ex.mtimes" <(mtimes "$TREE") | awk '$2 != $3' >"$WORK/moved"
check "unzip in New York restored every file's true mtime ($(wc -l <"$WORK/ex.mtimes") files)" \
	test ! -s "$WORK/moved"
head -5 "$WORK/moved"
npyc=$(find "$ex" -name '*.pyc' | wc -l)
check "the zip holds the fixture's .pyc files ($npyc)" test "$npyc" -gt 0

# The fixture's own command, without PYTHONDONTWRITEBYTECODE and verbose, so Python says when
# a .pyc does not match its source; the tree bind-mounted read-only in a private namespace.
pycache_sums() { (cd "$ex" && find . -path '*/__pycache__/*' -type f -printf '%p %T@ ' \
	-exec sha256sum {} \; | sort); }
pycache_sums >"$WORK/pyc.before"
rc=0
TZ=America/New_York unshare -m bash -c '
	mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && cd "$1" &&
	exec env -u PYTHONDONTWRITEBYTECODE PYTHONPATH=. PYTHONVERBOSE=1 /usr/bin/python3 -S handler.py
' _ "$ex" >"$WORK/ro.out" 2>"$WORK/ro.err" || rc=$?
check "the handler exits 0 in the read-only extracted tree (exit $rc)" test "$rc" -eq 0
check "it prints the same output as the full tree" diff -u "$EXPECTED" "$WORK/ro.out"
check "Python found no kept .pyc stale" bash -c '! grep -E "bytecode is stale|could not create" "$1"' \
	_ "$WORK/ro.err"
grep -E "bytecode is stale" "$WORK/ro.err" | head -3 || true
check "Python loaded kept .pyc files" grep -q "code object from '.*\.pyc'" "$WORK/ro.err"

# Writable this time: still nothing rewritten, mtimes and contents of __pycache__ unchanged.
rc=0
(cd "$ex" && TZ=America/New_York env -u PYTHONDONTWRITEBYTECODE PYTHONPATH=. /usr/bin/python3 -S \
	handler.py) >"$WORK/rw.out" 2>&1 || rc=$?
check "the handler exits 0 in the writable extracted tree (exit $rc)" test "$rc" -eq 0
pycache_sums >"$WORK/pyc.after"
check "no .pyc was written or rewritten" diff -u "$WORK/pyc.before" "$WORK/pyc.after"
e2e_finish
