from collections import Counter


def words(s):
    return len(s.split())


def letters(s):
    return Counter(c for c in s.lower() if c.isalpha()).most_common(3)
