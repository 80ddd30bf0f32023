#!/usr/bin/env python3
# The commands of slimzip and the long options each one accepts, as the binary itself says:
# the man page and completion tests check their documents against this list, so a command or
# an option added without its page or its completion fails a test.
#
#   options.py SLIMZIP SRC   prints "COMMAND --OPTION" lines (and "COMMAND" alone for each)
#
# Commands come from the table in userspace/cli/main.c. Candidate option names are every
# getopt table row of userspace/cli/*.c and every --word of each command's --help; the binary
# then decides which command takes which, by parsing a probe that fails before any work (a
# required value left out, or an unknown sentinel option after the probed one), so options
# made at run time (--no-rule-NAME) and shared tables (policy.c) need no list here.
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SENTINEL = "--zz-slimzip-probe"


def commands(src):
    text = (Path(src) / "userspace/cli/main.c").read_text()
    table = text[text.index("subcommands[] = {"):]
    table = table[:table.index("};")]
    return re.findall(r'\{"([a-z][a-z0-9-]*)", cmd_', table)


def ctl_verbs(src):
    text = (Path(src) / "userspace/cli/cmd_ctl.c").read_text()
    return re.findall(r'\{"([a-z]+)", PROTO_[A-Z_]+,', text)


def run(slimzip, args):
    p = subprocess.run([slimzip] + args, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    return p.stdout + p.stderr


def help_text(slimzip, cmd):
    return run(slimzip, [cmd, "--help"])


def candidates(slimzip, src, cmds):
    names = set()
    for f in sorted((Path(src) / "userspace/cli").glob("*.c")):
        names.update(re.findall(r'\{"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument',
                                f.read_text()))
    for cmd in cmds:
        names.update(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]+)", help_text(slimzip, cmd)))
    names.discard("help")
    return sorted(names)


def names(out, name):
    """Whether out names --name itself (not a longer option it is a prefix of)."""
    return re.search(r"--" + re.escape(name) + r"(?![\w=-])", out) is not None


def unknown(out, name):
    return re.search(r"unknown option '--" + re.escape(name) + r"(=[^']*)?'", out) is not None


def accepts(slimzip, cmd, name):
    # Every probe stops in the parser before any work: --NAME=1 never takes the next word, and
    # what follows it is an unknown sentinel or nothing. A value-taking option parses --NAME=1
    # and stops at the sentinel; a flag fails on its =1 ("takes no value").
    out = run(slimzip, [cmd, "--%s=1" % name, SENTINEL, "--", "true"])
    # A prefix of two longer options (--keep of verify's --keep-out and --keep-created) is
    # refused as ambiguous: no option of that name.
    if re.search(r"option '--" + re.escape(name) + r"(=[^']*)?' is ambiguous", out):
        return False
    if SENTINEL in out and not unknown(out, name):
        # getopt also takes a unique prefix of a longer option: the bare --NAME last of all
        # says "needs a value" under the full name (verify stops earlier, wanting "--").
        out = run(slimzip, [cmd, "--%s=1" % name, "--%s" % name])
        return "needs a value" not in out or names(out, name)
    if unknown(out, name):
        # Some parsers call a flag's --NAME=1 unknown: the flag alone, then the sentinel.
        out = run(slimzip, [cmd, "--%s" % name, SENTINEL, "--", "true"])
        return SENTINEL in out and not unknown(out, name)
    return names(out, name)


def options(slimzip, src):
    cmds = [c for c in commands(src) if c != "help"]
    cands = candidates(slimzip, src, cmds)
    pairs = [(cmd, n) for cmd in cmds for n in cands]
    # Each probe is a short-lived process: a few at once keep the test quick on a small box.
    with ThreadPoolExecutor(max_workers=4) as pool:
        ok = list(pool.map(lambda p: accepts(slimzip, *p), pairs))
    return {cmd: [n for (c, n), yes in zip(pairs, ok) if c == cmd and yes] for cmd in cmds}


if __name__ == "__main__":
    slimzip, src = sys.argv[1], sys.argv[2]
    for cmd, opts in options(slimzip, src).items():
        print(cmd)
        for o in opts:
            print(cmd, "--" + o)
