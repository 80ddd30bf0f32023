def soundex(name):
    codes = {c: str(d) for d, group in enumerate(["bfpv", "cgjkqsxz", "dt", "l", "mn", "r"], 1)
             for c in group}
    name = name.lower()
    out = name[:1].upper()
    for c in name[1:]:
        d = codes.get(c, "")
        if d and not out.endswith(d):
            out += d
    return (out + "000")[:4]
