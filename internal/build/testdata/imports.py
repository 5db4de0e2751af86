# Imports every package of a Python layer laid out as Lambda lays it out
# (argv[1] holds python/ and lib/), then every extension module in it, runs
# a little of each library, and prints what happened as JSON. Run with
# `python3 -S` and PYTHONPATH=<layer>/python, LD_LIBRARY_PATH=<layer>/lib,
# so that nothing comes from the host's site-packages. Used by build's
# slim test (debian_test.go).
import importlib
import importlib.metadata
import io
import json
import os
import sys

layer = os.path.realpath(sys.argv[1])
py = os.path.join(layer, "python")
result = {"imported": [], "failed": {}, "versions": {}, "outside": [], "libs": [], "checks": {}}

top = sorted(
    n[:-3] if n.endswith(".py") else n
    for n in os.listdir(py)
    if (n.endswith(".py") or os.path.isfile(os.path.join(py, n, "__init__.py")))
)
ext = []
for dirpath, dirs, files in os.walk(py):
    dirs.sort()
    for f in sorted(files):
        if f.endswith(".so") and ".cpython-" in f:
            rel = os.path.relpath(os.path.join(dirpath, f), py)
            ext.append(rel.split(".cpython-")[0].replace(os.sep, "."))

for name in top + ext:
    try:
        m = importlib.import_module(name)
        result["imported"].append(name)
        f = os.path.realpath(getattr(m, "__file__", "") or "")
        if not f.startswith(py + os.sep):
            result["outside"].append(name + ": " + f)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        result["failed"][name] = "%s: %s" % (type(e).__name__, e)

for dist in ["numpy", "scipy", "pandas", "lxml", "Pillow", "python-dateutil", "pytz", "six", "decorator"]:
    try:
        result["versions"][dist] = importlib.metadata.version(dist)
    except Exception as e:  # noqa: BLE001
        result["versions"][dist] = "error: %s" % e


def check(name, fn):
    try:
        result["checks"][name] = fn()
    except Exception as e:  # noqa: BLE001
        result["checks"][name] = "error: %s: %s" % (type(e).__name__, e)


def numeric():
    import numpy as np
    import scipy.linalg
    import scipy.special

    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    x = np.linalg.solve(a, np.array([9.0, 8.0]))
    s = scipy.linalg.svd(a, compute_uv=False)
    return [round(float(v), 6) for v in list(x) + list(s)] + [float(scipy.special.gamma(5))]


def frame():
    import pandas as pd

    df = pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]})
    return df.groupby("k")["v"].sum().to_dict()


def xml():
    from lxml import etree

    doc = etree.fromstring("<r><i>1</i><i>2</i></r>")
    xslt = etree.XSLT(etree.fromstring(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:template match="/"><n><xsl:value-of select="count(//i)"/></n></xsl:template></xsl:stylesheet>'))
    return str(xslt(doc)).strip().splitlines()[-1]


def images():
    from PIL import Image, features

    im = Image.new("RGB", (16, 16), (200, 10, 10))
    sizes = {}
    for fmt in ["PNG", "JPEG", "WEBP", "TIFF", "JPEG2000"]:
        b = io.BytesIO()
        im.save(b, fmt)
        b.seek(0)
        sizes[fmt] = Image.open(b).convert("RGB").getpixel((8, 8))[0] > 150
    sizes["freetype2"] = features.check("freetype2")
    sizes["littlecms2"] = features.check("littlecms2")
    return sizes


check("numeric", numeric)
check("frame", frame)
check("xml", xml)
check("images", images)

with open("/proc/self/maps") as maps:
    libs = set()
    for line in maps:
        p = line.split()[-1]
        if p.startswith(layer + "/lib/"):
            libs.add(os.path.relpath(p, layer))
    result["libs"] = sorted(libs)

json.dump(result, sys.stdout, indent=1, sort_keys=True)
