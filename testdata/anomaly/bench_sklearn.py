"""Times scikit-learn's KMeans and GaussianMixture on the data of anomaly/bench_test.go.

Run: /usr/bin/python3 testdata/anomaly/bench_sklearn.py [repeats]
Settings are the ones the anomaly package uses by default (see anomaly/doc.go):
StandardScaler then KMeans(n_clusters=32, init="k-means++", n_init=10, max_iter=300,
tol=1e-4, algorithm="lloyd"), as the K-means block does (timed together)
GaussianMixture(n_components=8, covariance_type="full", max_iter=100, tol=1e-3,
reg_covar=1e-6, init_params="kmeans", n_init=1).
Prints the median wall time of `repeats` fits (seeds 0..repeats-1) per configuration, plus the
median iteration count, and the n_init=1 KMeans fit for comparison with spec/performance.md.
`bench_sklearn.py one CONFIG N SEED` times one fit (CONFIG kmeans10, kmeans1 or gmm) and prints
the seconds; bench_alternate.sh uses it to alternate with the Go benchmark.
"""
import sys
import time
import warnings

import numpy as np
import sklearn
import threadpoolctl
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchdata import benchdata

warnings.filterwarnings("ignore")


def timed(make, x, repeats):
    times, iters = [], []
    for seed in range(repeats):
        est = make(seed)
        t0 = time.perf_counter()
        est.fit(x)
        times.append(time.perf_counter() - t0)
        iters.append(est[-1].n_iter_ if hasattr(est, "steps") else est.n_iter_)
    return np.median(times), np.median(iters)


def one(name, n, seed):
    """Times a single fit (for alternating with the Go benchmark): prints seconds."""
    x = benchdata(n, 33)
    make = dict(CONFIGS)[name]
    est = make(seed)
    t0 = time.perf_counter()
    est.fit(x)
    print(f"{time.perf_counter() - t0:.6f}")


CONFIGS = [
    ("kmeans10", lambda s: make_pipeline(StandardScaler(), KMeans(32, n_init=10, random_state=s, algorithm="lloyd"))),
    ("kmeans1", lambda s: make_pipeline(StandardScaler(), KMeans(32, n_init=1, random_state=s, algorithm="lloyd"))),
    ("gmm", lambda s: GaussianMixture(8, covariance_type="full", random_state=s)),
]


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "one":
        one(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    for info in threadpoolctl.threadpool_info():
        print(f"  {info['internal_api']} {info.get('version')} threads={info['num_threads']}")
    for n in (5000, 50000):
        x = benchdata(n, 33)
        for name, make in [
            ("KMeans k=32 n_init=10", lambda s: make_pipeline(
                StandardScaler(), KMeans(32, n_init=10, random_state=s, algorithm="lloyd"))),
            ("KMeans k=32 n_init=1", lambda s: make_pipeline(
                StandardScaler(), KMeans(32, n_init=1, random_state=s, algorithm="lloyd"))),
            ("GMM 8 full", lambda s: GaussianMixture(8, covariance_type="full", random_state=s)),
        ]:
            t, it = timed(make, x, repeats)
            print(f"n={n:6d} {name:24s} median {t*1e3:9.1f} ms  (median n_iter_ {it:g}, {repeats} seeds)")


if __name__ == "__main__":
    main()
