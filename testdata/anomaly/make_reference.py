"""Reference figures for the anomaly package's tests, computed with scikit-learn and numpy.

Run from the repository root: /usr/bin/python3 testdata/anomaly/make_reference.py
It rewrites kmeans_lloyd.json, gmm_em.json, kmeans_inertia.json and benchdata_head.json in
testdata/anomaly. Versions are recorded in each file ("versions").

kmeans_lloyd.json  - StandardScaler + KMeans(init=<given centres>, n_init=1, algorithm="lloyd")
                     on a small anisotropic data set; maxError per cluster and Edge Impulse's
                     K-means score (SDK anomaly.h formula) of probe windows, both in numpy.
gmm_em.json        - GaussianMixture(covariance_type="full") started from the parameters that
                     scikit-learn's _initialize computes from given hard labels (passed as
                     weights_init / means_init / precisions_init), at default settings and
                     run to convergence; score_samples of training and probe windows, the
                     1-feature StandardScaler of the training log-likelihoods, the score
                     |(ll - mean) / scale| and np.percentile(ll, 99).
kmeans_inertia.json - KMeans(k, n_init=10, random_state=s) inertia on standardised
                     benchdata(n, 33) for random_state 0..19, for the "no worse than
                     scikit-learn" check (medians compared).
benchdata_head.json - the first rows of benchdata(n, 33), to keep the Go generator in step.
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchdata import benchdata  # noqa: E402

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__}


def dump(name, obj):
    obj["versions"] = VERSIONS
    obj["generator"] = "testdata/anomaly/make_reference.py"
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


def blobs(rng, n, centres, scales, rot):
    k = len(centres)
    lab = rng.randint(0, k, size=n)
    z = rng.standard_normal((n, centres.shape[1]))
    return centres[lab] + (z * scales[lab]) @ rot


def kmeans_lloyd():
    rng = np.random.RandomState(7)
    m = 5
    centres = rng.uniform(-4, 4, size=(6, m))
    scales = rng.uniform(0.3, 1.2, size=(6, m))
    rot = np.linalg.qr(rng.standard_normal((m, m)))[0]
    x = blobs(rng, 300, centres, scales, rot)
    x = x * np.array([1.0, 10.0, 0.01, 3.0, 250.0]) + np.array([0.0, 5.0, -2.0, 100.0, 9.81])
    sc = StandardScaler().fit(x)
    z = sc.transform(x)
    k = 8
    init, _ = kmeans_plusplus(z, k, random_state=3)
    km = KMeans(k, init=init, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(z)
    centers = km.cluster_centers_
    labels = km.labels_
    dist = np.sqrt(((z - centers[labels]) ** 2).sum(axis=1))
    max_error = np.zeros(k)
    for j in range(k):
        if np.any(labels == j):
            max_error[j] = dist[labels == j].max()
    probes = np.vstack([x[:5], x[:5] * 1.5, rng.uniform(-50, 50, size=(5, m)) * x.std(axis=0) + x.mean(axis=0)])
    pz = (probes - sc.mean_) / sc.scale_
    d = np.sqrt(((pz[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)) - max_error[None, :]
    scores = np.minimum(d.min(axis=1), 1000.0)
    dump("kmeans_lloyd.json", {
        "x": x.tolist(), "init": init.tolist(), "k": k,
        "mean": sc.mean_.tolist(), "scale": sc.scale_.tolist(),
        "centers": centers.tolist(), "labels": labels.tolist(), "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_), "max_error": max_error.tolist(),
        "probes": probes.tolist(), "scores": scores.tolist(),
    })


def gmm_init_params(x, labels, k):
    """What GaussianMixture._initialize computes from one-hot responsibilities."""
    n = len(x)
    resp = np.zeros((n, k))
    resp[np.arange(n), labels] = 1
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = resp.T @ x / nk[:, None]
    covs = []
    for j in range(k):
        diff = x - means[j]
        c = (resp[:, j] * diff.T) @ diff / nk[j]
        c.flat[:: x.shape[1] + 1] += 1e-6
        covs.append(c)
    return nk / n, means, np.array(covs)


def gmm_em():
    rng = np.random.RandomState(11)
    m = 4
    centres = rng.uniform(-3, 3, size=(4, m))
    scales = rng.uniform(0.4, 1.5, size=(4, m))
    rot = np.linalg.qr(rng.standard_normal((m, m)))[0]
    x = blobs(rng, 400, centres, scales, rot) * np.array([1.0, 20.0, 0.05, 2.0]) + np.array([3.0, -40.0, 0.5, 9.81])
    k = 3
    labels = KMeans(k, n_init=1, random_state=0).fit(x).labels_
    w0, mu0, cov0 = gmm_init_params(x, labels, k)
    probes = np.vstack([x[:5], rng.uniform(-6, 6, size=(5, m)) * x.std(axis=0) + x.mean(axis=0)])
    out = {"x": x.tolist(), "k": k, "labels": labels.tolist(), "probes": probes.tolist(), "runs": []}
    for name, tol, max_iter in [("default", 1e-3, 100), ("converged", 1e-12, 2000)]:
        g = GaussianMixture(k, covariance_type="full", tol=tol, max_iter=max_iter, reg_covar=1e-6,
                            weights_init=w0, means_init=mu0, precisions_init=np.linalg.inv(cov0)).fit(x)
        ll = g.score_samples(x)
        sc = StandardScaler().fit(ll[:, None])
        pll = g.score_samples(probes)
        out["runs"].append({
            "name": name, "tol": tol, "max_iter": max_iter, "n_iter": int(g.n_iter_),
            "converged": bool(g.converged_), "lower_bound": float(g.lower_bound_),
            "weights": g.weights_.tolist(), "means": g.means_.tolist(), "covariances": g.covariances_.tolist(),
            "ll": ll.tolist(), "ll_mean": float(sc.mean_[0]), "ll_scale": float(sc.scale_[0]),
            "p99": float(np.percentile(ll, 99)),
            "probe_ll": pll.tolist(),
            "probe_scores": np.abs(sc.transform(pll[:, None])[:, 0]).tolist(),
        })
    dump("gmm_em.json", out)


def kmeans_inertia():
    out = {"cases": []}
    for n, k in [(2000, 32), (1000, 8)]:
        z = StandardScaler().fit_transform(benchdata(n, 33))
        inertias = [float(KMeans(k, n_init=10, random_state=s).fit(z).inertia_) for s in range(20)]
        out["cases"].append({"n": n, "m": 33, "k": k, "n_init": 10, "random_states": list(range(20)),
                             "inertia": inertias})
    dump("kmeans_inertia.json", out)


def bench_head():
    x = benchdata(2000, 33)
    dump("benchdata_head.json", {"n": 2000, "m": 33, "rows": [0, 1, 2, 999, 1999],
                                 "values": x[[0, 1, 2, 999, 1999]].tolist()})


if __name__ == "__main__":
    kmeans_lloyd()
    gmm_em()
    kmeans_inertia()
    bench_head()
