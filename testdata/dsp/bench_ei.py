#!/usr/bin/python3
"""Peer of dsp's benchmarks (BenchmarkMFCC, BenchmarkMFE, BenchmarkSpectrogram):
Edge Impulse's own Python processing blocks, one window per call, on the
inputs and parameters of this folder's reference cases
(mfcc_v4_default_16khz_1s, mfe_v4_default_16khz_1s, sg_v4_default_16khz_1s:
Studio's defaults on 1 s of 16 kHz audio). Each round times a run of calls
and divides by their number, as go test -bench does; it prints the median
µs per call over the rounds, and each round's figure.

The blocks are not part of this repository: check out
github.com/edgeimpulse/processing-blocks (the commit the reference vectors
record, 9b0ceb2b5d22658d3193a5b77dc773cfc8d4cab0) and pass its folder.

Run: /usr/bin/python3 testdata/dsp/bench_ei.py PROCESSING_BLOCKS_DIR [calls] [rounds]
(Debian's python3-numpy, python3-scipy and python3-matplotlib).
"""
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np

CASES = [("mfcc", "mfcc_v4_default_16khz_1s"), ("mfe", "mfe_v4_default_16khz_1s"),
         ("spectrogram", "sg_v4_default_16khz_1s")]


def load_block(root, name):
    # Each block's dsp.py imports `common` and `third_party` from its own
    # folder: give it a fresh module namespace.
    folder = os.path.join(root, name)
    for m in [m for m in sys.modules if m == "common" or m.startswith("common.") or
              m == "third_party" or m.startswith("third_party.") or m == "speechpy"]:
        del sys.modules[m]
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("eiblock_" + name, os.path.join(folder, "dsp.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.path.remove(folder)
    return mod


def main():
    root = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    here = os.path.dirname(os.path.abspath(__file__))
    print("numpy", np.__version__)
    for block, case in CASES:
        with open(os.path.join(here, case + ".json")) as f:
            c = json.load(f)
        mod = load_block(root, block)
        params = {k.replace("-", "_"): v for k, v in c["params"].items()}
        raw = np.array(c["input"], dtype=np.float64)

        def call():
            return mod.generate_features(c["implementation_version"], False, raw, c["axis_names"],
                                         c["sampling_freq"], **params)

        got = np.array(call()["features"], dtype=np.float64)
        want = np.array(c["features"], dtype=np.float64)
        assert got.shape == want.shape, (case, got.shape, want.shape)
        for _ in range(20):
            call()
        meds = []
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(calls):
                call()
            meds.append((time.perf_counter() - t) / calls * 1e6)
        print("%-12s median %.0f us per window; rounds: %s" % (block, statistics.median(meds),
                                                              " ".join("%.0f" % m for m in meds)))


if __name__ == "__main__":
    main()
