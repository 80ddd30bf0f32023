import itertools


def encode(s):
    return "".join(f"{len(list(g))}{k}" for k, g in itertools.groupby(s))
