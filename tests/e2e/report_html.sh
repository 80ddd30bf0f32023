#!/usr/bin/env bash
# report --html in a real browser: headless Chromium loads the page of a prune report (and of
# a verify report that found a file missing), the test reads the DOM after the page's script
# ran and checks its totals against the zip (unzip -Z) and the tree (find), the package names,
# verify's missing file under its package, that a name holding </script> stays a name, and
# that nothing was fetched; the screenshot is kept under the build directory. Chromium is
# installed by scripts/setup: without it this test fails, it does not skip.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $CHROMIUM ]]; then
	fail "chromium is installed (scripts/setup installs Debian's chromium)"
	e2e_finish
fi
ARTIFACTS=$(dirname "$(dirname "$SLIMZIP")")/artifacts
mkdir -p "$ARTIFACTS"

fixture_prepare python
# Names that try to end the data block or the page's markup, and one that is not UTF-8.
mkdir "$TREE/x<"
printf 'evil' >"$TREE/x</script><b>\"q\" & <!--.txt"
printf 'bad' >"$TREE/bad"$'\xff'".txt"
PROFILE=$WORK/python/p.profile
RUN_CWD=$TREE run "$SLIMZIP" run --tree "$TREE" -o "$WORK/python/run.zip" --profile-out "$PROFILE" \
	-- "${FIXTURE_CMD[@]}"
check "run records the fixture (exit $RC)" test "$RC" -eq 0
ZIP=$WORK/python/out.zip
run "$SLIMZIP" prune --profile "$PROFILE" --tree "$TREE" -o "$ZIP" --report "$WORK/prune.json"
check "prune --report exits 0 (exit $RC)" test "$RC" -eq 0
# A zip without certifi's data: verify finds it missing, grouped under certifi.
run "$SLIMZIP" prune --profile "$PROFILE" --tree "$TREE" -o "$WORK/broken.zip" \
	--drop certifi/cacert.pem
RUN_CWD=$TREE run "$SLIMZIP" verify "$WORK/broken.zip" --tree "$TREE" \
	--report "$WORK/verify.json" -- "${FIXTURE_CMD[@]}"
check "verify of the broken zip fails and writes its report (exit $RC)" \
	test "$RC" -ne 0 -a -s "$WORK/verify.json"

PAGE=$WORK/report.html
run "$SLIMZIP" report --html "$PAGE" "$WORK/prune.json" "$WORK/verify.json"
check "report --html exits 0 (exit $RC)" test "$RC" -eq 0
run "$SLIMZIP" report --html - "$WORK/prune.json"
check "report --html - writes the page to stdout" grep -q '<!DOCTYPE html>' "$WORK/last.out"
check "outside its data the page names no URL, loads no script, links nothing" \
	/usr/bin/python3 -S -c '
import re, sys
page = open(sys.argv[1], encoding="utf-8", errors="replace").read()
outside = re.sub(r"<script type=\"application/json\" id=\"slimzip-data\">.*?</script>", "", page, flags=re.S)
bad = [w for w in ("http://", "https://", " src=", "<link", "@import", "url(") if w in outside]
assert not bad, bad
assert page.count("</script") == 2, page.count("</script")
' "$PAGE"

# --host-resolver-rules: no name resolves, so a fetch could not succeed even if one was made.
BROWSER=("$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run
	--user-data-dir="$WORK/chromium" --host-resolver-rules="MAP * ~NOTFOUND")
timeout 120 "${BROWSER[@]}" --dump-dom "file://$PAGE" >"$WORK/dom.html" 2>"$WORK/chromium.err" || true
check "chromium dumped the DOM" test -s "$WORK/dom.html"
unzip -Z -l "$ZIP" >"$WORK/zipinfo"
check "the DOM holds the totals of the zip and the tree, the packages, verify's missing file" \
	/usr/bin/python3 -S - "$WORK/dom.html" "$WORK/zipinfo" "$TREE" <<'PY'
import html.parser, os, sys

dom, zipinfo, tree = sys.argv[1:]
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.cells, self.rows, self.groups, self.body = {}, [], [], [], {}
        self.cur = None
    tags, comments = {}, 0
    def handle_comment(self, data):
        self.comments += 1
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "body":
            self.body = a
        if "id" in a:
            self.cur = a["id"]
            self.ids[self.cur] = ""
        if "cell" in a.get("class", "").split():
            self.cells.append(a)
        if tag == "tr" and a.get("class") == "package":
            self.rows.append(a["data-package"])
        if "group" in a.get("class", "").split():
            self.groups.append(a["data-package"])
            self.cur = "group:" + a["data-package"]
            self.ids[self.cur] = ""
    def handle_endtag(self, tag):
        if tag in ("span", "div"):
            self.cur = None
    def handle_data(self, d):
        if self.cur:
            self.ids[self.cur] += d
p = P()
p.feed(open(dom, encoding="utf-8", errors="replace").read())
zipped = {}
for line in open(zipinfo):
    f = line.split()
    if len(f) >= 10 and f[0][0] in "-l":
        zipped[line.rstrip("\n").split(None, 9)[9]] = int(f[3])
files = {}
for d, _, names in os.walk(tree):
    for n in names:
        q = os.path.join(d, n)
        if os.path.isfile(q) and not os.path.islink(q):
            files[q] = os.path.getsize(q)
kept_bytes, kept_files = sum(zipped.values()), len(zipped)
dropped_bytes, dropped_files = sum(files.values()) - kept_bytes, len(files) - kept_files
got = {k: int(p.ids[k]) for k in ("kept-bytes", "kept-files", "dropped-bytes", "dropped-files")}
want = {"kept-bytes": kept_bytes, "kept-files": kept_files, "dropped-bytes": dropped_bytes,
        "dropped-files": dropped_files}
print("  DOM:", got, "expected:", want)
ok = got == want
ok &= p.body.get("data-rendered") == "yes"
for name in ("yaml", "certifi", "lib", "idna", "chardet", "handler"):
    if name not in p.rows:
        print("  no package row", name); ok = False
# The name holding </script> and <b> stayed data: its package row is there (the page drew all
# of it), no <b> element was made of it, and no comment began.
if "x<" not in p.rows:
    print("  no package row for the directory x<"); ok = False
if p.tags.get("b") or p.comments:
    print("  markup from a name:", p.tags.get("b"), p.comments); ok = False
if "certifi" not in p.groups or "certifi/cacert.pem" not in p.ids.get("group:certifi", ""):
    print("  verify's missing certifi/cacert.pem is not listed under certifi:", p.groups); ok = False
print(f"  {len(p.cells)} cells, {len(p.rows)} packages, groups {p.groups}")
sys.exit(0 if ok else 1)
PY
PNG=$ARTIFACTS/report.png
rm -f "$PNG"
timeout 120 "${BROWSER[@]}" --screenshot="$PNG" --window-size=1280,900 "file://$PAGE" \
	>/dev/null 2>>"$WORK/chromium.err" || true
echo "screenshot: $PNG"
check "the screenshot is a 1280x900 PNG of a drawn page" /usr/bin/python3 -S -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1280, 900), (w, h)
assert len(b) > 20000, len(b)  # a blank page compresses to a few KiB
' "$PNG"
e2e_finish
