"""Orientation spread of a dataset's training recordings (tune.OrientationSpread).

For every training sample: the direction of the mean of accX, accY, accZ;
the angle of each direction to the normalised sum of all directions; the
median. Usage: python3 orientation_spread.py DATASET_DIR...
(Debian's python3 with python3-numpy; the figures in tune/space_test.go
come from numpy 1.24.2.)
"""
import glob
import json
import os
import sys

import numpy as np

for d in sys.argv[1:]:
    dirs = []
    for f in sorted(glob.glob(os.path.join(d, "training", "*.json"))):
        p = json.load(open(f))["payload"]
        names = [s["name"] for s in p["sensors"]]
        v = np.array(p["values"], float)[:, [names.index(a) for a in ("accX", "accY", "accZ")]]
        m = v.mean(0)
        dirs.append(m / np.linalg.norm(m))
    V = np.array(dirs)
    mu = V.sum(0) / np.linalg.norm(V.sum(0))
    angles = np.degrees(np.arccos(np.clip(V @ mu, -1, 1)))
    print("%s: %d recordings, spread %.4f degrees" % (os.path.basename(d.rstrip("/")), len(V), np.median(angles)))
