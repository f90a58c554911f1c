#!/usr/bin/python3
"""Reference training steps for learn: the same network, initial weights and
batches trained with PyTorch (float64) using Keras' semantics, to check learn's
training step (loss, backward pass, Adam in Keras' form, MaxNorm, batch norm)
end to end.

Adam is written out as Keras applies it: a_t = lr*sqrt(1-b2^t)/(1-b1^t),
m += (g-m)(1-b1), v += (g^2-v)(1-b2), w -= a_t*m/(sqrt(v)+eps), eps 1e-7; then
conv2d kernels get MaxNorm(1) with Keras' default axis 0, as Studio's generated
Conv2D layers have it (no axis given): the norm is taken over kh alone, one per
(kw, cin, cout) column of the (kh, kw, cin, cout) kernel, and
w *= clip(|w|,0,1)/(1e-7+|w|) column by column (not per whole filter, which
would be axis=[0,1,2]).
Loss: mean softmax cross-entropy + 1e-5*sum|a|/batch over hidden dense outputs.
Batch norm (training): batch mean, biased variance, eps 1e-3.

Run: /usr/bin/python3 testdata/learn/torch_train.py > testdata/learn/torch_train.json
"""
import json, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(7)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def case(name, layers, inp, classes, n=40, batch=8, steps=15, lr=0.002, scale=1.0):
    kind = inp["kind"]
    nf = inp["width"] * inp.get("height", 1) * inp.get("channels", 1)
    X = f32(rng.normal(size=(n, nf)) * scale)
    y = rng.integers(0, classes, size=n)
    params = []  # tensors in learn's order: per layer W, b (BN: gamma, beta)
    spec = []

    def newp(a):
        t = torch.tensor(f32(a), requires_grad=True)
        params.append(t)
        return t

    shape = (inp["height"], inp["width"], inp["channels"]) if kind == "image" else (nf,)
    for i, l in enumerate(layers):
        t = l["type"]
        if t == "dense":
            spec.append(("dense", newp(rng.uniform(-1, 1, (shape[-1], l["neurons"])) * np.sqrt(6 / (shape[-1] + l["neurons"]))),
                         newp(rng.normal(size=l["neurons"]) * 0.05)))
            shape = (l["neurons"],)
        elif t == "reshape":
            c = l["columns"]
            c2 = any(nx["type"] == "conv2d" for nx in layers[i + 1:])
            shape = (shape[0] // c, c, 1) if c2 else (shape[0] // c, c)
            spec.append(("reshape", shape))
        elif t == "flatten":
            shape = (int(np.prod(shape)),)
            spec.append(("reshape", shape))
        elif t == "batchNormalization":
            c = shape[-1]
            spec.append(("bn", newp(1 + rng.normal(size=c) * 0.1), newp(rng.normal(size=c) * 0.1)))
        elif t in ("conv1d", "conv2d"):
            k = l["kernelSize"]
            cin = shape[-1]
            kshape = (k, cin, l["neurons"]) if t == "conv1d" else (k, k, cin, l["neurons"])
            fan = np.prod(kshape[:-2])
            lim = np.sqrt(6 / (fan * cin + fan * l["neurons"]))
            spec.append((t, newp(rng.uniform(-lim, lim, kshape)), newp(rng.normal(size=l["neurons"]) * 0.05)))
            shape = shape[:-1] + (l["neurons"],)
            spec.append(("pool", len(shape) - 1))
            shape = tuple((s + 1) // 2 for s in shape[:-1]) + (shape[-1],)
    spec.append(("out", newp(rng.uniform(-1, 1, (shape[-1], classes)) * np.sqrt(6 / (shape[-1] + classes))),
                 newp(rng.normal(size=classes) * 0.05)))
    init = [p.detach().numpy().ravel().tolist() for p in params]

    def forward(xb):
        x = xb.reshape((xb.shape[0],) + ((inp["height"], inp["width"], inp["channels"]) if kind == "image" else (nf,)))
        reg = 0.0
        for s in spec:
            if s[0] == "dense":
                x = torch.relu(x @ s[1] + s[2])
                reg = reg + x.abs().sum()
            elif s[0] == "reshape":
                x = x.reshape((x.shape[0],) + s[1])
            elif s[0] == "bn":
                dims = tuple(range(x.dim() - 1))
                mu = x.mean(dim=dims)
                var = ((x - mu) ** 2).mean(dim=dims)
                x = (x - mu) / torch.sqrt(var + 1e-3) * s[1] + s[2]
            elif s[0] == "conv1d":
                x = torch.relu(F.conv1d(x.transpose(1, 2), s[1].permute(2, 1, 0), s[2], padding="same")).transpose(1, 2)
            elif s[0] == "conv2d":
                x = torch.relu(F.conv2d(x.permute(0, 3, 1, 2), s[1].permute(3, 2, 0, 1), s[2], padding="same")).permute(0, 2, 3, 1)
            elif s[0] == "pool":
                if s[1] == 1:
                    x = F.max_pool1d(x.transpose(1, 2), 2, 2, ceil_mode=True).transpose(1, 2)
                else:
                    x = F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2, ceil_mode=True).permute(0, 2, 3, 1)
            elif s[0] == "out":
                x = x @ s[1] + s[2]
        return x, reg

    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    Xt, yt = torch.tensor(X), torch.tensor(y)
    batches, losses = [], []
    for t in range(1, steps + 1):
        idx = rng.choice(n, size=batch, replace=False)
        batches.append(idx.tolist())
        logits, reg = forward(Xt[idx])
        loss = F.cross_entropy(logits, yt[idx]) + 1e-5 * reg / batch
        losses.append(loss.item())
        for p in params:
            p.grad = None
        loss.backward()
        a = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        with torch.no_grad():
            for p, mm, vv in zip(params, m, v):
                g = p.grad
                mm += (g - mm) * (1 - 0.9)
                vv += (g * g - vv) * (1 - 0.999)
                p -= a * mm / (torch.sqrt(vv) + 1e-7)
            for s in spec:
                if s[0] == "conv2d":
                    w = s[1]
                    nrm = w.pow(2).sum(dim=0, keepdim=True).sqrt()  # Keras layout: axis 0 is kh
                    w *= nrm.clamp(max=1.0) / (1e-7 + nrm)
    return {"name": name, "visualLayers": layers, "input": inp, "classes": classes, "lr": lr, "batch": batch,
            "x": X.tolist(), "y": y.tolist(), "init": init, "batches": batches, "losses": losses,
            "final": [p.detach().numpy().ravel().tolist() for p in params]}


cases = [
    case("dense-wide-range", [{"type": "dense", "neurons": 20}, {"type": "dense", "neurons": 10}],
         {"kind": "flat", "width": 33}, 4, scale=50.0),
    case("conv1d-bn", [{"type": "reshape", "columns": 5}, {"type": "conv1d", "neurons": 8, "kernelSize": 3},
                       {"type": "batchNormalization"}, {"type": "conv1d", "neurons": 16, "kernelSize": 3}, {"type": "flatten"}],
         {"kind": "mfcc", "width": 5, "height": 9}, 3),
    case("conv2d-maxnorm", [{"type": "conv2d", "neurons": 8, "kernelSize": 3}, {"type": "conv2d", "neurons": 4, "kernelSize": 3},
                            {"type": "flatten"}], {"kind": "image", "width": 6, "height": 5, "channels": 2}, 3, lr=0.1),
]
json.dump({"generator": "testdata/learn/torch_train.py", "torch": torch.__version__, "cases": cases}, sys.stdout)
