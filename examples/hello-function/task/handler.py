"""hello-function: a tiny serverless-style handler for the slimzip example.

Uses a few modules of the vendored textkit package (most of it is never imported), reads
data/greetings.txt (data/translations-unused.csv is never read) and runs bin/helper.
Run from this directory:  /usr/bin/python3 -S handler.py [NAME]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "vendor"))

from textkit import __version__, caesar, count, greetings, roman, slug  # noqa: E402
from textkit.titlecase import title  # noqa: E402


def handler(event):
    name = event.get("name", "world")
    table = greetings.load()
    helper = subprocess.run([os.path.join(HERE, "bin", "helper"), name], check=True,
                            capture_output=True, text=True).stdout.strip()
    message = f"{table[event.get('lang', 'en')]}, {title(name)}!"
    return {
        "message": message,
        "slug": slug.slugify(message),
        "words": count.words(message),
        "top_letters": count.letters(message),
        "secret": caesar.shift(message),
        "year": roman.to_roman(2024),
        "languages": sorted(table),
        "helper": helper,
        "textkit": __version__,
    }


if __name__ == "__main__":
    event = {"name": sys.argv[1] if len(sys.argv) > 1 else "world",
             "lang": sys.argv[2] if len(sys.argv) > 2 else "en"}
    for key, value in sorted(handler(event).items()):
        print(f"{key}: {json.dumps(value)}")
