def reverse(s):
    return s[::-1]


def reverse_words(s):
    return " ".join(reversed(s.split()))
