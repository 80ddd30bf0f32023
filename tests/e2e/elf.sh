#!/usr/bin/env bash
# ELF fixture (RUNPATH $ORIGIN/../lib, NEEDED libcore.so, dlopen of a SONAME symlink chain):
# run -> zip -> extract -> same output; verify passes; verify catches a deleted library and
# --fix repairs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

e2e_roundtrip elf
if [[ -s $ZIP ]]; then
	list=$(unzip -Z1 "$ZIP")
	for f in bin/app lib/libcore.so lib/libplugin.so.1 lib/libplugin.so.1.0.0 \
		share/app/greeting.txt; do
		check "the zip holds $f" grep -qxF "$f" <<<"$list"
	done
	for f in bin/tool lib/libunused.so.2.1.0 lib/libunused.so.2 share/app/unused-blob.dat \
		share/doc/app/README; do
		check "the zip leaves out the unused $f" bash -c '! grep -qxF "$1" <<<"$2"' _ "$f" "$list"
	done
	ex=$WORK/elf/extracted
	check "lib/libplugin.so.1 is still a symlink to libplugin.so.1.0.0 after extraction" \
		test "$(readlink "$ex/lib/libplugin.so.1" 2>/dev/null)" = libplugin.so.1.0.0
	e2e_verify_catches elf lib/libcore.so
fi
e2e_finish
