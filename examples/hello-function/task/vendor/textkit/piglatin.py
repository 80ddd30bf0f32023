def word(w):
    return w[1:] + w[0] + "ay" if w[:1].lower() not in "aeiou" else w + "way"


def sentence(s):
    return " ".join(word(w) for w in s.split())
