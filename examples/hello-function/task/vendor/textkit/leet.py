_MAP = str.maketrans("aeilost", "4311057")


def leet(s):
    return s.lower().translate(_MAP)
