import textwrap


def wrap(s, width=20):
    return textwrap.wrap(s, width)
