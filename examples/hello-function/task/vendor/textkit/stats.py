import statistics


def word_lengths(s):
    lengths = [len(w) for w in s.split()]
    return statistics.mean(lengths), statistics.median(lengths)
