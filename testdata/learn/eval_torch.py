#!/usr/bin/python3
"""PyTorch reference for learn/internal/evaltest (TestStudioDefaults).

The Go test, run with LEARN_EVAL_EXPORT=DIR, writes one JSON file per dataset
with the features computed by package dsp (Studio's default processing block),
the labels and the Studio configuration it trained with, and for each of the
seeds 1..N it trained with: the training/validation split (the training rows in
the order the split left them) and the initial weights (the untrained network,
learn.New with that seed, in learn's file format). This script trains the same
architecture on each of those splits from the same initial weights, with Keras
semantics as Studio's generated script has them: Glorot-uniform kernels and zero
biases, ReLU, L1(1e-5) activity regulariser on hidden dense layers, 'same'
padding, 2/2 max pooling with ceil mode, MaxNorm(1) on conv2d kernels with
Keras' default axis 0 (see Net.max_norm), dropout, batch norm eps 1e-3 momentum
0.99 as Keras keeps its moving variance (see KerasBatchNorm), softmax
cross-entropy, Adam(lr, 0.9, 0.999,
eps 1e-7) in Keras' form (epsilon added to sqrt(v), see KerasAdam), the batch
size and epochs of the configuration, the training set reshuffled every epoch
through tf.data's shuffle buffer of 4 batches (see buffer_shuffle), and the
epoch with the lowest validation loss (activity regularisation included) kept.
Only the shuffling and dropout draws (seeded with the seed number) and
floating-point details differ from Go. It reports the validation accuracy of
the best-epoch model per seed, their median and mean, with the seeds.

  mkdir /tmp/learn-eval
  LEARN_EVAL_SEEDS=61 LEARN_EVAL_EXPORT=/tmp/learn-eval \
      go test -count=1 -v -timeout 60m -run StudioDefaults ./learn/internal/evaltest
  /usr/bin/python3 testdata/learn/eval_torch.py /tmp/learn-eval > testdata/learn/eval_torch.json

(The output must not go into /tmp/learn-eval: every *.json there is read as an export.)
"""
import base64, glob, json, statistics, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)


class Net(nn.Module):
    def __init__(self, layers, inp, n_out):
        super().__init__()
        kind = inp["Kind"]
        if kind == 4:
            shape = (inp["Height"], inp["Width"], max(inp["Channels"], 1))
        elif kind == 0:
            shape = (inp["Width"],)
        else:
            shape = (inp["Width"] * inp["Height"],)
        self.ops = []  # (name, module or args)
        self.mods = nn.ModuleList()
        layers = [l for l in layers if l.get("enabled", True)]
        for i, l in enumerate(layers):
            t = l["type"]
            if t == "dense":
                m = nn.Linear(shape[-1], l["neurons"])
                self.mods.append(m)
                self.ops.append(("dense", m))
                shape = (l["neurons"],)
            elif t == "reshape":
                c = l["columns"]
                conv2d = False
                for nx in layers[i + 1:]:
                    if nx["type"] == "conv2d":
                        conv2d = True
                    if nx["type"] in ("conv1d", "conv2d"):
                        break
                shape = (shape[0] // c, c, 1) if conv2d else (shape[0] // c, c)
                self.ops.append(("reshape", shape))
            elif t == "flatten":
                shape = (int(np.prod(shape)),)
                self.ops.append(("reshape", shape))
            elif t == "dropout":
                m = nn.Dropout(l.get("dropoutRate", 0.25))
                self.mods.append(m)
                self.ops.append(("plain", m))
            elif t == "batchNormalization":
                m = KerasBatchNorm(shape[-1])
                self.mods.append(m)
                self.ops.append(("bn", m))
            elif t in ("conv1d", "conv2d"):
                k = l.get("kernelSize", 3)
                for _ in range(l.get("stack", 1)):
                    if t == "conv1d":
                        m = nn.Conv1d(shape[-1], l["neurons"], k, padding="same")
                    else:
                        m = nn.Conv2d(shape[-1], l["neurons"], k, padding="same")
                    self.mods.append(m)
                    self.ops.append((t, m))
                    shape = shape[:-1] + (l["neurons"],)
                self.ops.append(("pool", len(shape) - 1))
                shape = tuple((s + 1) // 2 for s in shape[:-1]) + (shape[-1],)
        self.out = nn.Linear(shape[-1], n_out)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                nn.init.xavier_uniform_(m.weight)  # = Keras glorot_uniform (fans incl. receptive field)
                nn.init.zeros_(m.bias)
        self.in_shape = (inp["Height"], inp["Width"], max(inp["Channels"], 1)) if kind == 4 else None

    def forward(self, x):
        """Returns logits and the L1 activity penalty (sum over the batch)."""
        if self.in_shape:
            x = x.view((-1,) + self.in_shape)
        reg = 0.0
        for op, m in self.ops:
            if op == "dense":
                x = torch.relu(m(x))
                reg = reg + x.abs().sum()
            elif op == "reshape":
                x = x.reshape((x.shape[0],) + m)
            elif op == "plain":
                x = m(x)
            elif op == "bn":
                x = m(x)
            elif op == "conv1d":
                x = torch.relu(m(x.transpose(1, 2))).transpose(1, 2)
            elif op == "conv2d":
                x = torch.relu(m(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)
            elif op == "pool":
                if m == 1:
                    x = F.max_pool1d(x.transpose(1, 2), 2, 2, ceil_mode=True).transpose(1, 2)
                else:
                    x = F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2, ceil_mode=True).permute(0, 2, 3, 1)
        return self.out(x), reg

    def max_norm(self):
        """Keras' MaxNorm(1) as Studio's Conv2D layers have it (no axis, so
        Keras' default axis 0): the norm over kh alone, one per (kw, cin, cout)
        column of the Keras (kh, kw, cin, cout) kernel, and each column scaled
        by clip(|w|, 0, 1)/(1e-7 + |w|). PyTorch's (out, in, kh, kw) weight has
        kh on dim 2."""
        with torch.no_grad():
            for op, m in self.ops:
                if op == "conv2d":
                    w = m.weight  # (out, in, kh, kw)
                    n = w.pow(2).sum(dim=2, keepdim=True).sqrt()
                    w.mul_(n.clamp(max=1.0) / (1e-7 + n))


class KerasBatchNorm(nn.Module):
    """Keras' BatchNormalization (epsilon 1e-3, momentum 0.99) over the last
    axis of a channels-last tensor. Training normalises with the batch mean and
    biased variance. The moving variance follows the biased batch variance where
    Keras runs its non-fused kernel (inputs of rank 2 and 3: after dense and
    conv1d layers) and the Bessel-corrected one where it runs TensorFlow's fused
    kernel (rank 4: after conv2d), whose corrected variance Keras keeps
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


def load_init(net, blob):
    """Copies the initial weights of Go's untrained network (learn's file format:
    magic, version, kind, header length, JSON header, float32 parameters layer by
    layer: kernel then bias, Keras layouts) into net."""
    hl = struct.unpack_from("<I", blob, 16)[0]
    off = 20 + hl
    mods = [m for m in net.mods if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, KerasBatchNorm))] + [net.out]
    with torch.no_grad():
        for m in mods:
            for p in (m.weight, m.bias):
                n = p.numel()
                a = np.frombuffer(blob, dtype="<f4", count=n, offset=off).astype(np.float32)
                off += 4 * n
                if isinstance(m, nn.Linear) and p is m.weight:
                    a = a.reshape(m.in_features, m.out_features).T
                elif isinstance(m, nn.Conv1d) and p is m.weight:
                    a = a.reshape(m.kernel_size[0], m.in_channels, m.out_channels).transpose(2, 1, 0)
                elif isinstance(m, nn.Conv2d) and p is m.weight:
                    a = a.reshape(m.kernel_size[0], m.kernel_size[1], m.in_channels, m.out_channels).transpose(3, 2, 0, 1)
                p.copy_(torch.tensor(np.ascontiguousarray(a)).reshape(p.shape))


def buffer_shuffle(order, buffer, rng):
    """The order tf.data's Dataset.shuffle(buffer) yields order in: a buffer holds
    the next `buffer` elements and each output is a uniformly chosen element of the
    buffer, replaced by the next input (Studio shuffles its training set this way,
    with a buffer of 4 batches, afresh every epoch, over the split's order)."""
    n = len(order)
    buf = list(order[:buffer])
    nxt = min(buffer, n)
    out = []
    while buf:
        i = int(rng.integers(len(buf)))
        out.append(buf[i])
        if nxt < n:
            buf[i] = order[nxt]
            nxt += 1
        else:
            buf[i] = buf[-1]
            buf.pop()
    return out


class KerasAdam:
    """Adam as Keras applies it (epsilon added to sqrt(v), not to sqrt(v_hat)):
    a_t = lr*sqrt(1-b2^t)/(1-b1^t), m += (g-m)(1-b1), v += (g^2-v)(1-b2),
    w -= a_t*m/(sqrt(v)+eps)."""

    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-7):
        self.params = [p for p in params]
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
            m.add_((g - m) * (1 - self.b1))
            v.add_((g * g - v) * (1 - self.b2))
            p.sub_(a * m / (v.sqrt() + self.eps))


def run(d, X, y, split):
    seed = split["seed"]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cfg = d["config"]
    tr, va = split["train"], torch.tensor(split["validation"])
    net = Net(cfg["visualLayers"], d["input"], len(d["labels"]))
    load_init(net, base64.b64decode(split["init"]))
    opt = KerasAdam(net.parameters(), lr=cfg["learningRate"])
    bs = cfg["batchSize"]
    best, best_acc = float("inf"), 0.0
    for epoch in range(cfg["trainingCycles"]):
        net.train()
        perm = torch.tensor(buffer_shuffle(tr, 4 * bs, rng))
        for i in range(0, len(perm), bs):
            idx = perm[i:i + bs]
            logits, reg = net(X[idx])
            loss = F.cross_entropy(logits, y[idx]) + 1e-5 * reg / len(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.max_norm()
        net.eval()
        with torch.no_grad():
            logits, reg = net(X[va])
            vl = (F.cross_entropy(logits, y[va], reduction="sum") + 1e-5 * reg).item() / len(va)
            acc = int((logits.argmax(1) == y[va]).sum()) / len(va)
        if vl < best:
            best, best_acc = vl, acc
    return best_acc


results = []
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(path))
    X = torch.tensor(np.array(d["x"], dtype=np.float32))
    y = torch.tensor(d["y"])
    accs = [run(d, X, y, s) for s in d["splits"]]
    results.append({"dataset": d["dataset"], "seeds": [s["seed"] for s in d["splits"]], "val_accuracy": accs,
                    "median_val_accuracy": statistics.median(accs),
                    "mean_val_accuracy": statistics.fmean(accs),
                    "windows": len(d["y"]), "features": len(d["x"][0]),
                    "validation_windows": len(d["splits"][0]["validation"])})
    print(results[-1], file=sys.stderr)
json.dump({"generator": "testdata/learn/eval_torch.py", "torch": torch.__version__, "numpy": np.__version__,
           "results": results}, sys.stdout, indent=1)
