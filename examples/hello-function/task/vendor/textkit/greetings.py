"""Greetings in several languages, read from the function's data directory."""
import os

_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "greetings.txt")


def load():
    table = {}
    with open(_DATA, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                lang, text = line.split("=", 1)
                table[lang.strip()] = text.strip()
    return table
