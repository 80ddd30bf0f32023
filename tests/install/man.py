#!/usr/bin/env python3
# The man pages: each renders with no warning (man --warnings), every command of main.c's
# table has its page, and every long option a command accepts (options.py asks the binary) is
# named in that command's page, or among slimzip(1)'s global options. So a command or an
# option added without its documentation fails here.
#   man.py SLIMZIP SRC MANDIR
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import options  # noqa: E402

slimzip, src, mandir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
failures = []


def render(page, width="80", extra=()):
    p = subprocess.run(["man", "--warnings", *extra, "-l", str(page)], capture_output=True,
                       text=True, env=dict(env, MANWIDTH=width))
    return p.returncode, p.stdout, p.stderr


pages = sorted(mandir.glob("*.[15]"))
if not pages:
    sys.exit("man: no rendered page in %s (is scdoc installed? scripts/setup)" % mandir)
for page in pages:
    rc, out, err = render(page)
    if rc != 0 or err.strip() or "NAME" not in out:
        failures.append("%s: man --warnings -l exit %d: %s" % (page.name, rc, err.strip()))


def text(name):
    """A page as plain text, wide, unhyphenated, unjustified: options stay whole words."""
    page = mandir / name
    if not page.exists():
        return None
    _, out, _ = render(page, width="250", extra=("--nh", "--nj"))
    return re.sub(r".\x08", "", out).replace("\u2010", "-").replace("\u2212", "-")


main = text("slimzip.1") or ""
globals_part = main[main.find("GLOBAL OPTIONS"):main.find("ERRORS")]
accepted = options.options(slimzip, src)
for cmd in options.commands(src):
    if cmd in ("help", "version"):
        if not re.search(r"^\s+%s\b" % cmd, main, re.M):
            failures.append("slimzip.1: the %s command is not described" % cmd)
        continue
    page = "slimzip-%s.1" % cmd
    body = text(page)
    if body is None:
        failures.append("%s: no man page for command '%s' (add man/%s.scd)" % (page, cmd, page))
        continue
    if not re.search(r"^\s+%s\b" % re.escape(cmd), main, re.M):
        failures.append("slimzip.1: command '%s' is not listed" % cmd)
    for opt in accepted[cmd]:
        if not options.names(body, opt) and not options.names(globals_part, opt):
            failures.append("%s: option --%s of '%s' is not documented" % (page, opt, cmd))
    if cmd == "ctl":
        for verb in options.ctl_verbs(src):
            if not re.search(r"^\s+%s\b" % verb, body, re.M):
                failures.append("%s: ctl command '%s' is not documented" % (page, verb))

checked = sum(len(v) for v in accepted.values())
if checked < 50:
    failures.append("only %d options found: the probe of the binary failed" % checked)
for f in failures:
    print("FAIL", f)
print("man: %d pages rendered, %d options checked, %d problems" % (len(pages), checked,
                                                                   len(failures)))
sys.exit(1 if failures else 0)
