import zlib


def crc(s):
    return f"{zlib.crc32(s.encode()):08x}"
