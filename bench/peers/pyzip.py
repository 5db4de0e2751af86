"""Zips a folder with Python's zipfile, as a Python build script would: a
peer in bench/run.sh, not part of layerkit.

    python3 bench/peers/pyzip.py SRC OUT.zip
"""
import os
import sys
import zipfile

src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            z.write(path, os.path.relpath(path, src))
