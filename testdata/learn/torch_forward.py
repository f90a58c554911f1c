#!/usr/bin/python3
"""Reference forward passes for learn's networks, computed with PyTorch.

For each case: Studio visual layers (JSON, as learn.Config takes them), the input
shape, random weights in Keras' layouts (dense (in, out); conv1d (k, cin, cout);
conv2d (kh, kw, cin, cout); batch norm gamma, beta, moving mean, moving variance),
random windows and the network's outputs (softmax probabilities, or the linear
regression output) computed by PyTorch in float64 with Keras semantics
(channels-last flatten, 'same' padding, MaxPooling 2/2 'same' = ceil_mode, BN
epsilon 1e-3, dropout off at inference).

For the spectrogram kinds (mfcc, mfe, spectrogram) "width" here is the number
of values per frame and "height" the number of frames; the Go test swaps them
into Edge Impulse's order (learn.Input.Width = frames).

Run: /usr/bin/python3 testdata/learn/torch_forward.py > testdata/learn/torch_forward.json
"""
import json, sys
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261122)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def run_case(name, layers, inp, outputs, regression=False, n=6):
    kind = inp["kind"]
    if kind == "image":
        shape = (inp["height"], inp["width"], inp["channels"])
    else:
        shape = (inp["width"] * inp.get("height", 1),)
    X = f32(rng.normal(size=(n,) + (int(np.prod(shape)),)) * 1.5)
    x = torch.tensor(X).reshape((n,) + shape)
    params = []  # flat list of arrays in learn's parameter order

    def take(a):
        a = f32(a)
        params.append(a.ravel().tolist())
        return torch.tensor(a)

    enabled = [l for l in layers if l.get("enabled", True)]
    for i, l in enumerate(enabled):
        t = l["type"]
        if t == "dense":
            fin = x.shape[-1]
            W = take(rng.normal(size=(fin, l["neurons"])) * np.sqrt(2 / fin))
            b = take(rng.normal(size=l["neurons"]) * 0.1)
            x = torch.relu(x @ W + b)
        elif t == "reshape":
            c = l["columns"]
            conv2d_next = False
            for nx in enabled[i + 1:]:
                if nx["type"] == "conv2d":
                    conv2d_next = True
                if nx["type"] in ("conv1d", "conv2d"):
                    break
            x = x.reshape((n, -1, c, 1) if conv2d_next else (n, -1, c))
        elif t == "flatten":
            x = x.reshape(n, -1)
        elif t == "dropout":
            pass
        elif t == "batchNormalization":
            c = x.shape[-1]
            g = take(1 + rng.normal(size=c) * 0.2)
            be = take(rng.normal(size=c) * 0.2)
            mu = f32(rng.normal(size=c) * 0.3)
            var = f32(rng.uniform(0.5, 2, size=c))
            params.append(mu.tolist())
            params.append(var.tolist())
            x = (x - torch.tensor(mu)) / torch.sqrt(torch.tensor(var) + 1e-3) * g + be
        elif t == "conv1d":
            k = l.get("kernelSize", 3)
            for _ in range(l.get("stack", 1)):
                cin = x.shape[-1]
                W = take(rng.normal(size=(k, cin, l["neurons"])) * np.sqrt(2 / (k * cin)))
                b = take(rng.normal(size=l["neurons"]) * 0.1)
                y = F.conv1d(x.transpose(1, 2), W.permute(2, 1, 0), b, padding="same")
                x = torch.relu(y).transpose(1, 2)
            x = F.max_pool1d(x.transpose(1, 2), 2, 2, ceil_mode=True).transpose(1, 2)
        elif t == "conv2d":
            k = l.get("kernelSize", 3)
            for _ in range(l.get("stack", 1)):
                cin = x.shape[-1]
                W = take(rng.normal(size=(k, k, cin, l["neurons"])) * np.sqrt(2 / (k * k * cin)))
                b = take(rng.normal(size=l["neurons"]) * 0.1)
                y = F.conv2d(x.permute(0, 3, 1, 2), W.permute(3, 2, 0, 1), b, padding="same")
                x = torch.relu(y).permute(0, 2, 3, 1)
            x = F.max_pool2d(x.permute(0, 3, 1, 2), 2, 2, ceil_mode=True).permute(0, 2, 3, 1)
        else:
            raise ValueError(t)
    fin = x.shape[-1]
    W = take(rng.normal(size=(fin, outputs)) * np.sqrt(1 / fin))
    b = take(rng.normal(size=outputs) * 0.1)
    z = x @ W + b
    y = z if regression else torch.softmax(z, dim=1)
    return {"name": name, "visualLayers": layers, "input": inp, "outputs": outputs,
            "regression": regression, "params": params, "x": X.tolist(), "y": y.tolist()}


cases = [
    run_case("dense-default", [{"type": "dense", "neurons": 20}, {"type": "dense", "neurons": 10}],
             {"kind": "flat", "width": 33}, 4),
    run_case("dense-bn-dropout", [{"type": "dense", "neurons": 12}, {"type": "batchNormalization"},
                                  {"type": "dropout", "dropoutRate": 0.5}, {"type": "dense", "neurons": 7},
                                  {"type": "dense", "neurons": 99, "enabled": False}],
             {"kind": "flat", "width": 9}, 3),
    run_case("kws-default", [{"type": "reshape", "columns": 13}, {"type": "conv1d", "neurons": 8, "kernelSize": 3, "stack": 1},
                             {"type": "dropout", "dropoutRate": 0.25}, {"type": "conv1d", "neurons": 16, "kernelSize": 3, "stack": 1},
                             {"type": "dropout", "dropoutRate": 0.25}, {"type": "flatten"}],
             {"kind": "mfcc", "width": 13, "height": 49}, 6),
    run_case("conv1d-even-kernel-stack-bn", [{"type": "reshape", "columns": 5}, {"type": "conv1d", "neurons": 6, "kernelSize": 4, "stack": 2},
                                             {"type": "batchNormalization"}, {"type": "conv1d", "neurons": 3, "kernelSize": 5},
                                             {"type": "flatten"}, {"type": "dense", "neurons": 8}],
             {"kind": "mfe", "width": 5, "height": 11}, 3),
    run_case("image-default", [{"type": "conv2d", "neurons": 32, "kernelSize": 3, "stack": 1},
                               {"type": "conv2d", "neurons": 16, "kernelSize": 3, "stack": 1},
                               {"type": "flatten"}, {"type": "dropout", "dropoutRate": 0.25}],
             {"kind": "image", "width": 8, "height": 8, "channels": 1}, 10),
    run_case("image-odd-rgb-bn", [{"type": "conv2d", "neurons": 5, "kernelSize": 2, "stack": 2}, {"type": "batchNormalization"},
                                  {"type": "conv2d", "neurons": 8, "kernelSize": 3}, {"type": "flatten"}],
             {"kind": "image", "width": 7, "height": 5, "channels": 3}, 4),
    run_case("spectrogram-conv2d", [{"type": "reshape", "columns": 6}, {"type": "conv2d", "neurons": 4, "kernelSize": 3},
                                    {"type": "flatten"}, {"type": "dense", "neurons": 5}],
             {"kind": "spectrogram", "width": 6, "height": 9}, 2),
    run_case("regression", [{"type": "dense", "neurons": 10}, {"type": "dense", "neurons": 5}],
             {"kind": "flat", "width": 6}, 1, regression=True),
]
json.dump({"generator": "testdata/learn/torch_forward.py", "torch": torch.__version__, "numpy": np.__version__,
           "cases": cases}, sys.stdout)
