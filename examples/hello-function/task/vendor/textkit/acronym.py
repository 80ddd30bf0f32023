def acronym(s):
    return "".join(w[0].upper() for w in s.split() if w)
