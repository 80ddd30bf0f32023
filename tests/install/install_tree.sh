#!/usr/bin/env bash
# meson install puts everything where it belongs: `meson install --destdir` of this build into
# a scratch root, then the binary (bindir, runs --version), every man page (mandir/man1, man5,
# renders from there), the completions (bash-completion's completionsdir, zsh site-functions),
# the systemd unit (naming the installed binary and config), the daemon's config (sysconfdir)
# and the worked example (doc/slimzip/examples).
#   install_tree.sh BUILDDIR
set -euo pipefail
build=$1
root=$(mktemp -d /tmp/slimzip-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
fail=0
meson install -C "$build" --no-rebuild --destdir "$root" --quiet >"$root.log" 2>&1 || {
	cat "$root.log" >&2
	rm -f "$root.log"
	echo "FAIL: meson install" >&2
	exit 1
}
rm -f "$root.log"
opt() { meson introspect --buildoptions "$build" | python3 -c '
import json, sys
print({o["name"]: o["value"] for o in json.load(sys.stdin)}[sys.argv[1]])' "$1"; }
prefix=$(opt prefix)
abs() { [[ $1 == /* ]] && echo "$1" || echo "$prefix/$1"; }
bindir=$(abs "$(opt bindir)") mandir=$(abs "$(opt mandir)") datadir=$(abs "$(opt datadir)")
sysconfdir=$(abs "$(opt sysconfdir)")
bashdir=$(opt bashcompletiondir)
[[ -n $bashdir ]] || bashdir=$(pkg-config --define-variable=datadir="$datadir" \
	--variable=completionsdir bash-completion 2>/dev/null || echo "$datadir/bash-completion/completions")
zshdir=$(opt zshcompletiondir)
[[ -n $zshdir ]] || zshdir=$datadir/zsh/site-functions

want() {
	if [[ ! -s $root$1 ]]; then
		echo "FAIL: not installed: $1" >&2
		fail=1
	fi
}
want "$bindir/slimzip"
"$root$bindir/slimzip" --version | grep -q '^slimzip [0-9]' || {
	echo "FAIL: the installed slimzip --version" >&2
	fail=1
}
for p in slimzip slimzip-record slimzip-report slimzip-prune slimzip-run slimzip-verify \
	slimzip-batch slimzip-diff slimzip-merge slimzip-daemon slimzip-ctl; do
	want "$mandir/man1/$p.1"
done
want "$mandir/man5/slimzip-config.5"
err=$(MANWIDTH=80 man --warnings -l "$root$mandir/man1/slimzip-prune.1" 2>&1 >/dev/null)
[[ -z $err ]] || {
	echo "FAIL: the installed slimzip-prune.1 renders with: $err" >&2
	fail=1
}
want "$bashdir/slimzip"
want "$zshdir/_slimzip"
want "$sysconfdir/slimzip/daemon.conf"
want "$datadir/doc/slimzip/examples/slimzip-daemon.conf"
unit=$(find "$root" -name slimzip.service -path '*/systemd/system/*' | head -1)
if [[ -z $unit ]]; then
	echo "FAIL: the systemd unit is not installed" >&2
	fail=1
elif ! grep -qx "ExecStart=$bindir/slimzip daemon --foreground --config $sysconfdir/slimzip/daemon.conf" "$unit"; then
	echo "FAIL: $unit does not start $bindir/slimzip with $sysconfdir/slimzip/daemon.conf" >&2
	fail=1
fi
((fail == 0)) && echo "install: $(find "$root" -type f | wc -l) files in place below $prefix"
exit "$fail"
