from .case import snake


def title(s):
    return " ".join(w[:1].upper() + w[1:] for w in s.split())


def title_snake(s):
    return snake(title(s))
