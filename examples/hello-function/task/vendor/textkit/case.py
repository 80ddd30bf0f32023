def swap(s):
    return s.swapcase()


def snake(s):
    return "_".join(s.lower().split())
