#!/usr/bin/env bash
# The .deb: dpkg-buildpackage -us -uc -b builds it from a scratch copy of the tree (under /tmp:
# nothing is left in the source tree), dpkg-deb -x unpacks it into a scratch root, and the
# slimzip there runs. The package must hold the binary, the man pages, the completions, the
# unit and /etc/slimzip/daemon.conf as a conffile. Slow (a full build): suite 'pkg'.
#   deb.sh SRC
set -euo pipefail
src=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/slimzip-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
# The tree as git sees it (tracked and new files, not build directories or fixtures).
mkdir "$work/slimzip"
(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$src" && xargs -0 cp --parents -t "$work/slimzip")
(cd "$work/slimzip" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b \
	>"$work/build.log" 2>&1) || {
	tail -40 "$work/build.log" >&2
	echo "FAIL: dpkg-buildpackage -us -uc -b" >&2
	exit 1
}
deb=$(ls "$work"/slimzip_*.deb)
dpkg-deb -x "$deb" "$work/root"
version=$("$work/root/usr/bin/slimzip" --version) || fail=1
want="slimzip $(sed -n "s/^  version : '\(.*\)',/\1/p" "$src/meson.build")"
[[ $version == "$want" ]] || {
	echo "FAIL: the packaged slimzip --version says '$version', want '$want'" >&2
	fail=1
}
for f in usr/share/man/man1/slimzip.1.gz usr/share/man/man1/slimzip-prune.1.gz \
	usr/share/man/man5/slimzip-config.5.gz usr/share/bash-completion/completions/slimzip \
	usr/share/zsh/vendor-completions/_slimzip etc/slimzip/daemon.conf \
	usr/share/doc/slimzip/examples/slimzip-daemon.conf usr/share/doc/slimzip/copyright; do
	[[ -e $work/root/$f ]] || {
		echo "FAIL: the package lacks /$f" >&2
		fail=1
	}
done
[[ -n $(find "$work/root" -path '*/systemd/system/slimzip.service') ]] || {
	echo "FAIL: the package lacks the systemd unit" >&2
	fail=1
}
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null | grep -qx /etc/slimzip/daemon.conf || {
	echo "FAIL: /etc/slimzip/daemon.conf is not a conffile" >&2
	fail=1
}
((fail == 0)) && echo "deb: $(basename "$deb") builds, unpacks and runs: $version"
exit "$fail"
