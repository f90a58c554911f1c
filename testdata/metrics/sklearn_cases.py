#!/usr/bin/python3
"""Reference figures for tinyimpulse/metrics, computed with scikit-learn.

Run from the repository root with Debian's python3 (numpy + python3-sklearn):

    /usr/bin/python3 testdata/metrics/sklearn_cases.py > testdata/metrics/sklearn_cases.json

Every case records its inputs and what scikit-learn returns, computed the way
Edge Impulse Studio computes its validation metrics (learn-blocks.md §B.1):
scores are renormalised per row, predictions are the argmax (first maximum on
ties), the report is classification_report(output_dict=True, zero_division=0),
the loss is log_loss(labels=[0..C-1]) and the AUC is roc_auc_score on the hard
predictions for two classes and the one-vs-rest macro average for more, or
null when scikit-learn refuses (a class missing from y_true).
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (balanced_accuracy_score, classification_report,
                             confusion_matrix, explained_variance_score,
                             log_loss, mean_absolute_error,
                             mean_squared_error, roc_auc_score)


def softmaxish(rng, n, c, actual, skill):
    """Random score rows leaning towards the actual class by `skill`."""
    s = rng.random((n, c))
    s[np.arange(n), actual] += skill
    return s


def classification_case(name, labels, actual, scores):
    actual = np.asarray(actual, dtype=int)
    scores = np.asarray(scores, dtype=float)
    c = len(labels)
    y_pred = scores / scores.sum(axis=1, keepdims=True)
    pred = np.argmax(y_pred, axis=1)
    try:
        if c == 2:
            auc = float(roc_auc_score(actual, pred))
        else:
            auc = float(roc_auc_score(actual, y_pred, multi_class="ovr"))
    except ValueError as e:
        auc = None
    try:
        loss = float(log_loss(actual, y_pred, labels=list(range(c))))
    except ValueError:
        loss = None
    return {
        "name": name,
        "labels": labels,
        "actual": actual.tolist(),
        "scores": scores.tolist(),
        "predicted": pred.tolist(),
        "confusion_matrix": confusion_matrix(actual, pred, labels=list(range(c))).tolist(),
        "report": classification_report(actual, pred, output_dict=True, zero_division=0),
        "loss": loss,
        "roc_auc": auc,
    }


def main():
    rng = np.random.default_rng(20240611)
    cases = []

    # Typical three-class validation set.
    a = rng.integers(0, 3, 60)
    cases.append(classification_case("three-class", ["idle", "snake", "wave"], a,
                                     softmaxish(rng, 60, 3, a, 0.6)))

    # Five classes, strongly separated, plus a few confident mistakes.
    a = rng.integers(0, 5, 200)
    s = softmaxish(rng, 200, 5, a, 1.5)
    s[:7] = np.eye(5)[(a[:7] + 1) % 5] * 0.97 + 0.006
    cases.append(classification_case("five-class", list("abcde"), a, s))

    # Binary: Studio's quirk (AUC from hard labels).
    a = rng.integers(0, 2, 40)
    cases.append(classification_case("binary", ["noise", "yes"], a,
                                     softmaxish(rng, 40, 2, a, 0.3)))

    # Ties: scores quantised to a few levels (AUC ties) and exact argmax ties
    # (the first maximum wins, as numpy.argmax).
    a = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 2, 1])
    s = np.array([[.5, .25, .25], [.25, .5, .25], [.25, .25, .5], [.4, .4, .2],
                  [.4, .4, .2], [.2, .4, .4], [1/3, 1/3, 1/3], [1/3, 1/3, 1/3],
                  [1/3, 1/3, 1/3], [.5, .5, 0], [0, .5, .5], [.5, 0, .5],
                  [.25, .25, .5], [.25, .5, .25]])
    cases.append(classification_case("ties", ["a", "b", "c"], a, s))

    # A class that never occurs in y_true but is predicted sometimes
    # (report has it with support 0, AUC undefined).
    a = rng.integers(0, 3, 30)
    s = softmaxish(rng, 30, 4, a, 0.5)
    s[[2, 9, 17], 3] = 5
    cases.append(classification_case("absent-class-predicted", list("wxyz"), a, s))

    # A class that occurs neither in y_true nor in y_pred (missing from the report).
    a = rng.integers(0, 3, 25)
    s = softmaxish(rng, 25, 4, a, 2.0)
    s[:, 3] = 0.01
    cases.append(classification_case("absent-class", list("wxyz"), a, s))

    # Single class present in y_true.
    a = np.zeros(12, dtype=int)
    cases.append(classification_case("single-class", ["on", "off", "fault"], a,
                                     softmaxish(rng, 12, 3, a, 0.4)))

    # Binary with a single class present.
    a = np.ones(9, dtype=int)
    cases.append(classification_case("binary-single-class", ["neg", "pos"], a,
                                     softmaxish(rng, 9, 2, a, 0.2)))

    # Every prediction wrong.
    a = rng.integers(0, 3, 21)
    s = np.eye(3)[(a + 1) % 3] * 0.8 + 0.1
    cases.append(classification_case("all-wrong", ["r", "g", "b"], a, s))

    # Un-normalised scores and zeros (clipping at eps in log_loss).
    a = np.array([0, 1, 2, 2, 1, 0])
    s = np.array([[2, 0, 0], [0, 3, 1], [0, 0, 7], [1, 0, 0], [0, 4, 4], [0, 1, 0]], dtype=float)
    cases.append(classification_case("zeros-unnormalised", ["a", "b", "c"], a, s))

    regressions = []
    def reg_case(name, y, p):
        y = np.asarray(y, float); p = np.asarray(p, float)
        regressions.append({
            "name": name, "actual": y.tolist(), "predicted": p.tolist(),
            "mse": float(mean_squared_error(y, p)),
            "mae": float(mean_absolute_error(y, p)),
            "explained_variance": float(explained_variance_score(y, p)),
        })
    y = rng.normal(20, 5, 50)
    reg_case("noisy", y, y + rng.normal(0.5, 2, 50))
    reg_case("perfect", y[:10], y[:10])
    reg_case("constant-actual-exact", [3, 3, 3], [3, 3, 3])
    reg_case("constant-actual-wrong", [3, 3, 3], [2, 3, 5])
    reg_case("constant-offset", [1, 2, 3, 4], [2, 3, 4, 5])

    # Model testing: expected labels vs final results incl. uncertain/anomaly.
    testing = []
    def test_case(name, labels, expected, results):
        known = [i for i, e in enumerate(expected) if e in labels or e == "anomaly"]
        e = [expected[i] for i in known]; r = [results[i] for i in known]
        testing.append({
            "name": name, "labels": labels, "expected": expected, "results": results,
            "accuracy": float(np.mean([x == y for x, y in zip(e, r)])),
            "balanced_accuracy": float(balanced_accuracy_score(e, r)),
        })
    test_case("with-uncertain", ["idle", "wave"],
              ["idle"] * 6 + ["wave"] * 4,
              ["idle", "idle", "uncertain", "wave", "idle", "idle", "wave", "wave", "uncertain", "idle"])
    test_case("with-anomaly", ["idle", "wave"],
              ["idle"] * 5 + ["wave"] * 3 + ["anomaly"] * 3 + ["unknown"] * 2,
              ["idle", "anomaly", "idle", "uncertain", "idle", "wave", "wave", "idle",
               "anomaly", "anomaly", "wave", "idle", "wave"])

    anomalies = []
    def anomaly_case(name, expected, scores):
        y = [1 if e == "anomaly" else 0 for e in expected]
        try:
            auc = float(roc_auc_score(y, scores))
        except ValueError:
            auc = None
        anomalies.append({"name": name, "expected": expected, "scores": list(map(float, scores)), "roc_auc": auc})
    anomaly_case("separable-with-ties", ["anomaly", "idle", "anomaly", "wave", "idle", "anomaly", "wave"],
                 [0.9, 0.1, 0.4, 0.4, 0.2, 0.4, 0.05])
    sc = rng.random(40); ex = ["anomaly" if v > 0.6 else "idle" for v in rng.random(40)]
    anomaly_case("random", ex, np.round(sc, 1))
    anomaly_case("no-anomalies", ["idle", "wave", "idle"], [0.1, 0.2, 0.3])

    json.dump({
        "generator": "testdata/metrics/sklearn_cases.py",
        "python": sys.version.split()[0], "numpy": np.__version__, "sklearn": sklearn.__version__,
        "classification": cases, "regression": regressions, "testing": testing,
        "anomaly": anomalies,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
