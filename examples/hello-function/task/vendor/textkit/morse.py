_CODE = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", ".- -... -.-. -.. . ..-. --. .... .. .--- -.- .-.. --"
                 " -. --- .--. --.- .-. ... - ..- ...- .-- -..- -.-- --..".split()))


def encode(s):
    return " ".join(_CODE.get(c, "?") for c in s.upper() if c != " ")
