#!/usr/bin/python3
"""PyTorch + scikit-learn reference for internal/realdata (issue 7, "Real data").

Reads the files `REALDATA_EXPORT=DIR go test -run Export ./internal/realdata/`
writes (one per dataset: the features Go's impulse trains on -- training
windows, training stride -- and tests on -- testing category, classification
stride --, with labels, the impulse definition as written and as Go resolved
it), and runs an equivalent Studio pipeline on the same features:

* Neural network ("keras" learn block): the architecture Studio's code generator
  writes for the definition's visual layers -- Studio's default for the input
  kind when the definition leaves them out (learn-blocks.md A.4, derived here
  independently of Go and checked against Go's resolved configuration) --
  trained with Studio's semantics: Glorot-uniform kernels and zero biases (this
  script's own, from torch.manual_seed(seed)); ReLU; L1(1e-5) activity
  regulariser on hidden dense layers (summed over the batch and divided by the
  batch size, as Keras adds it); 'same' padding; 2/2 max pooling ('same' =
  ceil mode); MaxNorm(1) on conv2d kernels after every step, with Keras'
  default axis 0 as Studio's code leaves it (one norm over kh per (kw, cin,
  cout) column, not per filter); dropout; batch normalisation with Keras'
  moving statistics (see KerasBatchNorm); softmax cross-entropy, class weights
  (autoClassWeights) reduced as Keras does (sum of w*loss over the batch size,
  not over the sum of the weights); Adam in Keras' form (lr, beta1 0.9, beta2 0.999, epsilon 1e-7
  added to sqrt(v)); the definition's epochs, learning rate and batch size;
  a validation split of trainTestSplit (0.2) made with scikit-learn's
  train_test_split(test_size, random_state=seed), shuffled, not stratified,
  as Studio's split_and_shuffle_data; the training set reshuffled every epoch
  through a tf.data-style shuffle buffer of 4 batches; and the weights of the
  epoch with the lowest validation loss (regulariser included, Keras'
  val_loss) kept, as ModelCheckpoint(save_best_only) does.
* K-means anomaly block: StandardScaler (ddof 0), scikit-learn
  KMeans(n_clusters=clusterCount, n_init=10, random_state=seed), maxError =
  largest distance of a training window to its centre; score = min over
  clusters of distance - maxError (Edge Impulse's SDK); anomaly above the
  threshold (0.3 by default).
* GMM anomaly block: GaussianMixture(n_components, 'full', random_state=seed)
  on the raw features; score = |(log p(x) - mean) / std| of the training
  log-likelihoods; threshold max(0.1, 99th percentile of the training
  log-likelihoods) by default (learn-blocks.md D).

Model testing as Studio does it on the testing windows (learn-blocks.md B.4):
a window's result is its top class, "uncertain" when the top score is below
minimumConfidenceRating (0.6), "anomaly" when an anomaly block scores it above
its threshold; accuracy = correct results / windows whose label the model knows
(uncertain and anomaly count as wrong). Also reported: the accuracy without the
anomaly block's verdict, the plain argmax accuracy, scikit-learn's weighted F1
of the argmax predictions, the ROC AUC of the anomaly score where the test set
has windows labelled "anomaly", and the wall-clock training time (network
training plus anomaly fit; features are Go's and not counted).

  mkdir -p /tmp/realdata
  REALDATA_EXPORT=/tmp/realdata go test -count=1 -run Export ./internal/realdata/
  /usr/bin/python3 testdata/realdata/reference.py /tmp/realdata --seeds 25 > testdata/realdata/reference.json

Options after DIR: --seeds N (seeds 1..N, default 9; reference.json holds 25) or
--seeds A-B (seeds A..B), --only NAME.
"""
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import sklearn
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

torch.set_num_threads(2)  # the machine's two cores, as Go uses them
VERBOSE = os.environ.get("REALDATA_VERBOSE") == "1"  # Keras-style epoch lines on stderr

# ---------------------------------------------------------------------------
# Studio's defaults (learn-blocks.md A.1, A.4, C, D), derived from the
# definition without looking at what Go made of it.

FLAT_DSP = {"spectral-analysis", "flatten", "raw"}


def dsp_param(defn, dsp_id, name, default):
    v = defn.get("dsp", {}).get(str(dsp_id), {}).get(name, default)
    return type(default)(v) if not isinstance(default, str) else v


def studio_keras(defn, block, n_features):
    """Returns (config, input shape) Studio gives a keras block: the
    definition's settings over Studio's defaults for the block's input."""
    dsp_blocks = {b["id"]: b for b in defn["impulse"]["dspBlocks"]}
    src = [dsp_blocks[i] for i in block["dsp"]]
    kind = src[0]["type"] if len(src) == 1 else "flat"
    r = 0.25
    conv1d = lambda cols: [{"type": "reshape", "columns": cols},
                           {"type": "conv1d", "neurons": 8, "kernelSize": 3, "stack": 1},
                           {"type": "dropout", "dropoutRate": r},
                           {"type": "conv1d", "neurons": 16, "kernelSize": 3, "stack": 1},
                           {"type": "dropout", "dropoutRate": r},
                           {"type": "flatten"}]
    shape = (n_features,)
    if kind == "mfcc":
        cfg = {"trainingCycles": 100, "learningRate": 0.005,
               "visualLayers": conv1d(dsp_param(defn, src[0]["id"], "num_cepstral", 13))}
    elif kind == "mfe":
        cfg = {"trainingCycles": 100, "learningRate": 0.005,
               "visualLayers": conv1d(dsp_param(defn, src[0]["id"], "num_filters", 40))}
    elif kind == "spectrogram":
        cfg = {"trainingCycles": 30, "learningRate": 0.005,
               "visualLayers": conv1d(dsp_param(defn, src[0]["id"], "fft_length", 128) // 2 + 1)}
    elif kind == "image":
        inp = defn["impulse"]["inputBlocks"][0]
        ch = 1 if dsp_param(defn, src[0]["id"], "channels", "RGB") == "Grayscale" else 3
        shape = (inp.get("imageHeight", 96), inp.get("imageWidth", 96), ch)
        cfg = {"trainingCycles": 20, "learningRate": 0.0005,
               "visualLayers": [{"type": "conv2d", "neurons": 32, "kernelSize": 3, "stack": 1},
                                {"type": "conv2d", "neurons": 16, "kernelSize": 3, "stack": 1},
                                {"type": "flatten"},
                                {"type": "dropout", "dropoutRate": r}]}
    else:
        cfg = {"trainingCycles": 30, "learningRate": 0.0005,
               "visualLayers": [{"type": "dense", "neurons": 20}, {"type": "dense", "neurons": 10}]}
    cfg.update({"batchSize": 32, "trainTestSplit": 0.2, "minimumConfidenceRating": 0.6, "autoClassWeights": False})
    given = defn.get("learn", {}).get(str(block["id"]), {})
    for k in ("trainingCycles", "learningRate", "batchSize", "trainTestSplit", "minimumConfidenceRating",
              "autoClassWeights", "visualLayers"):
        if k in given and (k != "visualLayers" or given[k]):
            cfg[k] = given[k]
    if int(np.prod(shape)) != n_features:
        raise SystemExit(f"block {block['id']}: input shape {shape} does not hold {n_features} features")
    return cfg, shape


def check_against_go(name, cfg, shape, go_block):
    """Go's resolved configuration must be the one derived here."""
    g = go_block["config"]
    problems = []
    for k in ("trainingCycles", "learningRate", "batchSize", "trainTestSplit", "minimumConfidenceRating"):
        if abs(float(g.get(k, 0)) - float(cfg[k])) > 1e-12:
            problems.append(f"{k}: Go {g.get(k)}, Studio {cfg[k]}")
    norm = lambda ls: [{k: v for k, v in l.items() if k != "enabled" and not (k == "stack" and v == 1)
                        and not (k == "kernelSize" and v == 3 and l["type"].startswith("conv"))} for l in ls]
    if norm(g["visualLayers"]) != norm(cfg["visualLayers"]):
        problems.append(f"visualLayers: Go {g['visualLayers']}, Studio {cfg['visualLayers']}")
    gi = go_block["input"]
    if len(shape) == 3 and (gi["Height"], gi["Width"], max(gi["Channels"], 1)) != shape:
        problems.append(f"input: Go {gi}, Studio {shape}")
    if problems:
        raise SystemExit(f"{name}: Go's resolved keras configuration differs from Studio's: " + "; ".join(problems))


# ---------------------------------------------------------------------------
# The network, as Studio's generated Keras code builds it (learn-blocks.md A.3).

class Net(nn.Module):
    def __init__(self, layers, shape, n_out):
        super().__init__()
        self.in_shape = shape
        self.steps = []  # (op, module or argument)
        self.mods = nn.ModuleList()
        layers = [l for l in layers if l.get("enabled", True)]
        for i, l in enumerate(layers):
            t = l["type"]
            if t == "dense":
                if len(shape) != 1:
                    raise SystemExit("dense after a multi-dimensional layer needs a flatten layer")
                m = nn.Linear(shape[0], l["neurons"])
                self.add("dense", m)
                shape = (l["neurons"],)
            elif t == "reshape":
                c = l["columns"]
                nxt = next((x["type"] for x in layers[i + 1:] if x["type"] in ("conv1d", "conv2d")), "conv1d")
                shape = (shape[0] // c, c, 1) if nxt == "conv2d" else (shape[0] // c, c)
                self.steps.append(("reshape", shape))
            elif t == "flatten":
                shape = (int(np.prod(shape)),)
                self.steps.append(("reshape", shape))
            elif t == "dropout":
                self.add("plain", nn.Dropout(l.get("dropoutRate", 0.25)))
            elif t == "batchNormalization":
                self.add("bn", KerasBatchNorm(shape[-1]))
            elif t in ("conv1d", "conv2d"):
                k = l.get("kernelSize", 3)
                for _ in range(l.get("stack", 1)):
                    conv = nn.Conv1d if t == "conv1d" else nn.Conv2d
                    self.add(t, conv(shape[-1], l["neurons"], k, padding="same"))
                    shape = shape[:-1] + (l["neurons"],)
                self.steps.append(("pool", len(shape) - 1))
                shape = tuple((s + 1) // 2 for s in shape[:-1]) + (shape[-1],)
            else:
                raise SystemExit(f"layer type {t} has no reference")
        if len(shape) != 1:
            raise SystemExit("the output layer needs a flat input (add a flatten layer)")
        self.out = nn.Linear(shape[0], n_out)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                nn.init.xavier_uniform_(m.weight)  # Keras glorot_uniform: fans include the kernel
                nn.init.zeros_(m.bias)

    def add(self, op, m):
        self.mods.append(m)
        self.steps.append((op, m))

    def forward(self, x):
        """Returns the logits and the L1 activity penalty summed over the batch."""
        x = x.reshape((x.shape[0],) + tuple(self.in_shape))
        reg = x.new_zeros(())
        for op, m in self.steps:
            if op == "dense":
                x = torch.relu(m(x))
                reg = reg + x.abs().sum()
            elif op == "reshape":
                x = x.reshape((x.shape[0],) + m)
            elif op == "plain":
                x = m(x)
            elif op == "bn":
                x = m(x)
            elif op == "conv1d":  # channels-last outside, PyTorch's layout inside
                x = torch.relu(m(x.transpose(1, 2))).transpose(1, 2)
            elif op == "conv2d":
                x = torch.relu(m(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)
            elif op == "pool":
                if m == 1:
                    x = F.max_pool1d(x.transpose(1, 2), 2, 2, ceil_mode=True).transpose(1, 2)
                else:
                    x = F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2, ceil_mode=True).permute(0, 2, 3, 1)
        return self.out(x), reg

    @torch.no_grad()
    def max_norm(self):
        """Keras' MaxNorm(1) on conv2d kernels with its default axis 0 (Studio
        passes no axis): in the Keras (kh, kw, in, out) kernel the norm is taken
        over kh alone, one per (kw, in, out) column, and each column is scaled by
        clip(|w|, 0, 1)/(1e-7 + |w|). PyTorch's (out, in, kh, kw) weight has kh
        on dim 2."""
        for op, m in self.steps:
            if op == "conv2d":
                n = m.weight.pow(2).sum(dim=2, keepdim=True).sqrt()
                m.weight.mul_(n.clamp(max=1.0) / (1e-7 + n))


class KerasBatchNorm(nn.Module):
    """Keras' BatchNormalization (epsilon 1e-3, momentum 0.99) over the last
    axis of a channels-last tensor: training normalises with the batch mean and
    biased variance; the moving variance follows the biased batch variance where
    Keras runs its non-fused kernel (inputs of rank 2 and 3, after dense and
    conv1d layers) and the Bessel-corrected one where it runs TensorFlow's fused
    kernel (rank 4, after conv2d), whose corrected variance Keras keeps
    (_bessels_correction_test_only is True). torch.nn.BatchNorm would use the
    corrected variance everywhere."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))

    def forward(self, x):
        if not self.training:
            return (x - self.running_mean) / torch.sqrt(self.running_var + 1e-3) * self.weight + self.bias
        dims = tuple(range(x.dim() - 1))
        mu = x.mean(dim=dims)
        var = ((x - mu) ** 2).mean(dim=dims)
        with torch.no_grad():
            n = x.numel() // x.shape[-1]
            moving = var * n / (n - 1) if x.dim() == 4 and n > 1 else var
            self.running_mean -= (self.running_mean - mu) * 0.01
            self.running_var -= (self.running_var - moving) * 0.01
        return (x - mu) / torch.sqrt(var + 1e-3) * self.weight + self.bias


class KerasAdam:
    """Adam as Keras applies it: a_t = lr*sqrt(1-b2^t)/(1-b1^t),
    w -= a_t*m/(sqrt(v)+eps) (epsilon added to sqrt(v), not to sqrt(v_hat))."""

    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-7):
        self.params = list(params)
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        a = self.lr * (1 - self.b2 ** self.t) ** 0.5 / (1 - self.b1 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            p.sub_(a * m / (v.sqrt() + self.eps))


def buffer_shuffle(order, buffer, rng):
    """The order tf.data's shuffle(buffer) yields: each output is a uniformly
    chosen element of a buffer holding the next `buffer` inputs."""
    buf = list(order[:buffer])
    nxt, out = len(buf), []
    while buf:
        i = int(rng.integers(len(buf)))
        out.append(buf[i])
        if nxt < len(order):
            buf[i] = order[nxt]
            nxt += 1
        else:
            buf[i] = buf[-1]
            buf.pop()
    return out


def train_network(cfg, shape, X, y, n_classes, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Net(cfg["visualLayers"], shape, n_classes)
    opt = KerasAdam(net.parameters(), cfg["learningRate"])
    ids = np.arange(len(y))
    split = float(cfg["trainTestSplit"])
    if split > 0:
        tr, va = train_test_split(ids, test_size=split, random_state=seed)
    else:
        tr, va = ids, np.array([], dtype=int)
    weights = None
    if cfg.get("autoClassWeights"):
        present, counts = np.unique(y[tr].numpy(), return_counts=True)
        weights = torch.zeros(n_classes)
        weights[present] = torch.tensor(len(tr) / counts / len(present), dtype=torch.float32)
    bs = int(cfg["batchSize"])
    best, best_state, best_epoch = float("inf"), None, 0
    for epoch in range(int(cfg["trainingCycles"])):
        net.train()
        order = torch.tensor(buffer_shuffle(list(tr), 4 * bs, rng))
        loss_sum, correct = 0.0, 0
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            logits, reg = net(X[idx])
            if weights is None:
                ce = F.cross_entropy(logits, y[idx])
            else:  # Keras: the sum of w*loss over the batch size (torch's weight= divides by the sum of w)
                ce = (F.cross_entropy(logits, y[idx], reduction="none") * weights[y[idx]]).mean()
            loss = ce + 1e-5 * reg / len(idx)
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y[idx]).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.max_norm()
        if len(va) == 0:
            continue
        net.eval()
        with torch.no_grad():
            vi = torch.tensor(va)
            logits, reg = net(X[vi])
            vl = (F.cross_entropy(logits, y[vi], reduction="sum") + 1e-5 * reg).item() / len(va)
            vacc = int((logits.argmax(1) == y[vi]).sum()) / len(va)
        if VERBOSE:
            print(f"Epoch {epoch + 1}/{cfg['trainingCycles']} - loss: {loss_sum / len(order):.4f} - accuracy: "
                  f"{correct / len(order):.4f} - val_loss: {vl:.4f} - val_accuracy: {vacc:.4f}", file=sys.stderr)
        if vl < best:
            best, best_epoch = vl, epoch + 1
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return net, best_epoch


# ---------------------------------------------------------------------------
# Anomaly blocks (learn-blocks.md C, D).

def threshold_of(c, default):
    for t in c.get("thresholds") or []:
        if t.get("key") == "min_anomaly_score":
            return float(t["value"])
    return float(c.get("minimumConfidenceRating") or default)


def fit_kmeans(c, X, seed):
    axes = c.get("axes") or list(range(X.shape[1]))
    Xs = X[:, axes]
    mean, std = Xs.mean(axis=0), Xs.std(axis=0)
    std[std == 0] = 1
    Z = (Xs - mean) / std
    km = KMeans(n_clusters=int(c.get("clusterCount") or 32), n_init=10, random_state=seed).fit(Z)
    centres = km.cluster_centers_
    d = np.linalg.norm(Z - centres[km.labels_], axis=1)
    max_err = np.zeros(len(centres))
    np.maximum.at(max_err, km.labels_, d)

    def score(T):
        Zt = (T[:, axes] - mean) / std
        dist = np.linalg.norm(Zt[:, None, :] - centres[None, :, :], axis=2) - max_err[None, :]
        return np.minimum(dist.min(axis=1), 1000.0)
    return score, threshold_of(c, 0.3)


def fit_gmm(c, X, seed):
    axes = c.get("axes") or list(range(X.shape[1]))
    gm = GaussianMixture(n_components=int(c.get("clusterCount") or 5), covariance_type="full",
                         random_state=seed).fit(X[:, axes])
    ll = gm.score_samples(X[:, axes])
    mean, std = ll.mean(), ll.std()
    if std == 0:
        std = 1.0

    def score(T):
        return np.abs((gm.score_samples(T[:, axes]) - mean) / std)
    return score, threshold_of(c, max(0.1, float(np.percentile(ll, 99))))


# ---------------------------------------------------------------------------

def run(d, seed):
    defn = d["definition"]
    classes = d["classes"]
    ytr = torch.tensor(d["train"]["y"])
    yte = np.array(d["test"]["y"])
    te_labels = d["test"]["labels"]
    blocks = {b["id"]: b for b in d["blocks"]}
    known = yte >= 0
    probs, threshold, anomaly_score, anomaly_threshold = None, None, None, None
    seconds, best_epoch = 0.0, None
    for lb in defn["impulse"]["learnBlocks"]:
        key = str(lb["id"])
        Xtr = np.array(d["train"]["features"][key], dtype=np.float64)
        Xte = np.array(d["test"]["features"][key], dtype=np.float64)
        if lb["type"] == "keras":
            cfg, shape = studio_keras(defn, lb, Xtr.shape[1])
            check_against_go(d["dataset"], cfg, shape, blocks[lb["id"]])
            t0 = time.perf_counter()
            net, best_epoch = train_network(cfg, shape, torch.tensor(Xtr, dtype=torch.float32), ytr, len(classes), seed)
            seconds += time.perf_counter() - t0
            if probs is None:
                with torch.no_grad():
                    logits, _ = net(torch.tensor(Xte, dtype=torch.float32))
                probs = torch.softmax(logits, dim=1).numpy().astype(np.float64)
                threshold = float(cfg["minimumConfidenceRating"])
        elif lb["type"] in ("anomaly", "anomaly-gmm"):
            given = defn.get("learn", {}).get(key, {})
            t0 = time.perf_counter()
            score, thr = (fit_kmeans if lb["type"] == "anomaly" else fit_gmm)(given, Xtr, seed)
            seconds += time.perf_counter() - t0
            if anomaly_score is None:
                anomaly_score, anomaly_threshold = score(Xte), thr
        else:
            raise SystemExit(f"learn block type {lb['type']} has no reference")

    r = {"seed": seed, "trainSeconds": round(seconds, 3)}
    is_anomaly = np.array([l == "anomaly" for l in te_labels])
    if probs is not None:
        top = probs.argmax(axis=1)
        uncertain = probs.max(axis=1) < threshold
        flagged = anomaly_score > anomaly_threshold if anomaly_score is not None else np.zeros(len(yte), bool)
        counted = known | (is_anomaly if anomaly_score is not None else np.zeros(len(yte), bool))
        good_cls = (top == yte) & ~uncertain
        good = np.where(is_anomaly, flagged, good_cls & ~flagged)
        r["accuracy"] = float(good[counted].mean())
        r["accuracyNoAnomaly"] = float(good_cls[known].mean())
        r["accuracyArgmax"] = float((top == yte)[known].mean())
        r["weightedF1"] = float(f1_score(yte[known], top[known], average="weighted", zero_division=0))
        r["uncertain"] = int(uncertain[known].sum())
        r["bestEpoch"] = best_epoch
    if anomaly_score is not None:
        r["anomalyThreshold"] = anomaly_threshold
        r["flaggedAnomalies"] = int((anomaly_score > anomaly_threshold).sum())
        if is_anomaly.any() and not is_anomaly.all():
            r["anomalyAUC"] = float(roc_auc_score(is_anomaly, anomaly_score))
    return r


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    directory, seeds, only = args[0], list(range(1, 10)), None
    if "--seeds" in args:
        v = args[args.index("--seeds") + 1]
        lo, hi = (int(x) for x in v.split("-")) if "-" in v else (1, int(v))
        seeds = list(range(lo, hi + 1))
    if "--only" in args:
        only = args[args.index("--only") + 1]
    out = {"generator": "testdata/realdata/reference.py", "seeds": seeds,
           "versions": {"python": platform.python_version(), "torch": torch.__version__,
                        "sklearn": sklearn.__version__, "numpy": np.__version__,
                        "torchThreads": torch.get_num_threads(), "machine": platform.machine()},
           "datasets": []}
    for f in sorted(os.listdir(directory)):
        if not f.endswith(".json") or (only and f != only + ".json"):
            continue
        d = json.load(open(os.path.join(directory, f)))
        runs = [run(d, s) for s in out["seeds"]]
        med = {}
        for k in ("accuracy", "accuracyNoAnomaly", "accuracyArgmax", "weightedF1", "anomalyAUC", "trainSeconds"):
            vals = [x[k] for x in runs if k in x]
            if vals:
                med[k] = statistics.median(vals)
        entry = {"dataset": d["dataset"], "trainWindows": len(d["train"]["y"]),
                 "testWindows": int(sum(1 for y, l in zip(d["test"]["y"], d["test"]["labels"]) if y >= 0 or l == "anomaly")),
                 "median": med, "runs": runs}
        out["datasets"].append(entry)
        print(f"{d['dataset']:24s} " + " ".join(f"{k} {v:.4f}" for k, v in med.items()), file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
