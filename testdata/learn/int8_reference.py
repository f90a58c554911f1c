#!/usr/bin/python3
"""Independent numpy reference of learn's int8 path (TFLite full-integer
post-training quantisation and TensorFlow Lite 2.9's builtin int8 kernels), on
the networks and windows of torch_forward.json.

For every case: the float network (float32 values held in float64) runs on all
of the case's windows to calibrate every tensor (min/max widened to include 0;
scale = (max-min)/255 rounded to float32, zero point = round(-128 - min/scale));
convolution and batch-norm weights are quantised per output channel, dense
weights per tensor (scale = max|w|/127 rounded to float32), biases to int32
with scale float32(s_in*s_w); each convolution/dense/batch-norm op accumulates
in integers and requantises with gemmlowp's SaturatingRoundingDoublingHighMul,
then a rounding right shift that rounds halves up for dense and convolution
ops (TFLite's ruy kernels) and away from zero for batch norm (RoundingDivideByPOT,
TFLite's depthwise kernel); the multipliers come from the float32 scales in
float64, the dense layers' from the float32 product s_in*s_w
(GetQuantizedConvolutionMultipler); max pooling and reshapes keep the scale;
the softmax is TFLite's optimized int8 softmax in float32: table[255-d] =
expf(float32(-s)*d) with the C library's expf (glibc's, called through
ctypes, as TensorFlow Lite calls it), a float32 sum in order, inv = 1/(sum/256),
output round(e*inv) - 128 (half away from zero). Batch norm is one per-channel
affine op (a = gamma/sqrt(var+1e-3), b = beta - mean*a). Inputs are quantised
with round-half-even.

Writes the int8 outputs of every window.
Run: /usr/bin/python3 testdata/learn/int8_reference.py > testdata/learn/int8_reference.json
"""
import ctypes, json, math, sys
import numpy as np

libm = ctypes.CDLL("libm.so.6")
libm.expf.argtypes, libm.expf.restype = [ctypes.c_float], ctypes.c_float

cases = json.load(open(__file__.replace("int8_reference.py", "torch_forward.json")))["cases"]


def rha(x):  # round half away from zero (C's round, Go's math.Round)
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


f32 = np.float32


def asym(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    s = float(f32((hi - lo) / 255))
    if s == 0:
        return 1.0, -128
    zp = min(max(-128 - lo / s, -128), 127)
    return s, int(rha(zp))


def qmult(m):
    if m == 0:
        return 0, 0
    f, e = math.frexp(m)
    q = int(rha(f * 2 ** 31))
    if q == 2 ** 31:
        q //= 2
        e += 1
    if e < -31:
        return 0, 0
    return q, e


def srdhm(a, b):
    if a == b == -2 ** 31:
        return 2 ** 31 - 1
    ab = a * b
    nudge = 2 ** 30 if ab >= 0 else 1 - 2 ** 30
    v = ab + nudge
    return (abs(v) // 2 ** 31) * (1 if v >= 0 else -1)  # truncate toward zero


def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask
    th = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > th else 0)


def wrap32(x):
    return (x + 2 ** 31) % 2 ** 32 - 2 ** 31


def mbqm(x, q, shift, half_up):
    left, right = (shift, 0) if shift > 0 else (0, -shift)
    r = srdhm(wrap32(x * (1 << left)), q)
    if half_up:
        return (r + (1 << right >> 1)) >> right if right > 0 else r
    return rdbpot(r, right)


def ops_of(c):
    """Returns the op list: (kind, params...) with float weights, channels-last."""
    p = [np.array(a) for a in c["params"]]
    layers = [l for l in c["visualLayers"] if l.get("enabled", True)]
    inp = c["input"]
    if inp["kind"] == "image":
        shape = (inp["height"], inp["width"], inp["channels"])
    else:
        shape = (inp["width"] * inp.get("height", 1),)
    ops = []
    for i, l in enumerate(layers):
        t = l["type"]
        if t == "dense":
            W, b = p.pop(0).reshape(shape[-1], l["neurons"]), p.pop(0)
            ops.append(("conv", W.reshape(1, 1, shape[-1], -1), b, True, (1, 1), "dense"))
            shape = (l["neurons"],)
        elif t == "reshape":
            cc = l["columns"]
            c2 = False
            for nx in layers[i + 1:]:
                if nx["type"] == "conv2d":
                    c2 = True
                if nx["type"] in ("conv1d", "conv2d"):
                    break
            shape = (shape[0] // cc, cc, 1) if c2 else (shape[0] // cc, cc)
            ops.append(("reshape", shape))
        elif t == "flatten":
            shape = (int(np.prod(shape)),)
            ops.append(("reshape", shape))
        elif t == "batchNormalization":
            g, be, mu, var = p.pop(0), p.pop(0), p.pop(0), p.pop(0)
            a = g / np.sqrt(var + 1e-3)
            ops.append(("affine", a, be - mu * a))
        elif t in ("conv1d", "conv2d"):
            k = l.get("kernelSize", 3)
            for _ in range(l.get("stack", 1)):
                cin = shape[-1]
                if t == "conv1d":
                    W = p.pop(0).reshape(1, k, cin, l["neurons"])
                else:
                    W = p.pop(0).reshape(k, k, cin, l["neurons"])
                b = p.pop(0)
                ops.append(("conv", W, b, True, W.shape[:2]))
                shape = shape[:-1] + (l["neurons"],)
            ops.append(("pool",))
            shape = tuple((s + 1) // 2 for s in shape[:-1]) + (shape[-1],)
    W, b = p.pop(0).reshape(shape[-1], c["outputs"]), p.pop(0)
    ops.append(("conv", W.reshape(1, 1, shape[-1], -1), b, False, (1, 1), "dense"))
    if not c["regression"]:
        ops.append(("softmax",))
    assert not p
    return ops


def as3d(x):
    """(h, w, c) view of a tensor: flat (c) -> (1, 1, c); (w, c) -> (1, w, c)."""
    if x.ndim == 1:
        return x.reshape(1, 1, -1)
    if x.ndim == 2:
        return x.reshape(1, x.shape[0], x.shape[1])
    return x


def conv(x, W, b, acc_dtype=float):
    """'same' stride-1 convolution of an (h, w, cin) map; returns (h, w, cout)."""
    kh, kw, cin, cout = W.shape
    h, w, _ = x.shape
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    out = np.zeros((h, w, cout), dtype=acc_dtype)
    for oy in range(h):
        for ox in range(w):
            acc = np.array(b, dtype=acc_dtype)
            for dy in range(kh):
                iy = oy + dy - ph
                if not 0 <= iy < h:
                    continue
                for dx in range(kw):
                    ix = ox + dx - pw
                    if 0 <= ix < w:
                        acc = acc + x[iy, ix].astype(acc_dtype) @ W[dy, dx].astype(acc_dtype)
            out[oy, ox] = acc
    return out


def pool(x):
    h, w, c = x.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    if h == 1:
        oh = 1
    out = np.empty((oh, ow, c), dtype=x.dtype)
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = (0 if h == 1 else 2 * oy), 2 * ox
            out[oy, ox] = x[y0:y0 + (1 if h == 1 else 2), x0:x0 + 2].reshape(-1, c).max(axis=0)
    return out


def float_forward(ops, x):
    """Float forward; returns the list of op outputs (before softmax for the logits)."""
    outs = []
    for op in ops:
        if op[0] == "conv":
            shp = x.shape
            y = conv(as3d(x), op[1], op[2])
            if op[3]:
                y = np.maximum(y, 0)
            x = y.reshape(shp[:-1] + (y.shape[-1],)) if x.ndim > 1 else y.reshape(-1)
        elif op[0] == "reshape":
            x = x.reshape(op[1])
        elif op[0] == "affine":
            x = x * op[1] + op[2]
        elif op[0] == "pool":
            shp = x.shape
            y = pool(as3d(x))
            x = y.reshape(y.shape[1:]) if len(shp) == 2 else y
        elif op[0] == "softmax":
            pass
        outs.append(x)
    return outs


out_cases = []
for c in cases:
    ops = ops_of(c)
    X = np.array(c["x"])
    if c["input"]["kind"] == "image":
        X = X.reshape((len(X), c["input"]["height"], c["input"]["width"], c["input"]["channels"]))
    lo = [math.inf] * (len(ops) + 1)
    hi = [-math.inf] * (len(ops) + 1)
    for x in X:
        lo[0], hi[0] = min(lo[0], x.min()), max(hi[0], x.max())
        for i, y in enumerate(float_forward(ops, x)):
            lo[i + 1], hi[i + 1] = min(lo[i + 1], y.min()), max(hi[i + 1], y.max())
    s_in, zp_in = asym(lo[0], hi[0])
    outs = []
    for x in X:
        q = np.clip(np.round(x / s_in + zp_in), -128, 127).astype(np.int64)  # np.round: half to even
        s, zp = s_in, zp_in
        for i, op in enumerate(ops):
            if op[0] in ("conv", "affine"):
                so, zo = (asym(lo[i + 1], hi[i + 1]))
                W = op[1] if op[0] == "conv" else op[1].reshape(1, 1, 1, -1)
                cout = W.shape[-1]
                dense = op[0] == "conv" and op[-1] == "dense"
                if dense:  # one scale for the whole kernel
                    wmax = np.full(cout, np.abs(W).max())
                else:
                    wmax = np.abs(W.reshape(-1, cout)).max(axis=0)
                ws = np.array([float(f32(m / 127)) if f32(m / 127) > 0 else 1.0 for m in wmax])
                Wq = np.clip(np.vectorize(rha)(W / ws), -127, 127).astype(np.int64)
                bq = [int(rha(op[2][o] / float(f32(s) * f32(ws[o])))) for o in range(cout)]
                if dense:
                    mults = [qmult(float(f32(s) * f32(ws[o])) / so) for o in range(cout)]
                else:
                    mults = [qmult(s * ws[o] / so) for o in range(cout)]
                half_up = op[0] == "conv"
                lo_clamp = max(-128, zo) if (op[0] == "conv" and op[3]) else -128
                if op[0] == "conv":
                    shp = q.shape
                    acc = conv(as3d(q - zp), Wq, np.array(bq), acc_dtype=np.int64)
                else:
                    shp = q.shape
                    acc = (q - zp) * Wq.reshape(-1) + np.array(bq)
                flat = acc.reshape(-1, cout)
                res = np.empty_like(flat)
                for r in range(flat.shape[0]):
                    for o in range(cout):
                        v = mbqm(int(flat[r, o]), *mults[o], half_up) + zo
                        res[r, o] = min(127, max(lo_clamp, v))
                if op[0] == "conv":
                    q = res.reshape(shp[:-1] + (cout,)) if q.ndim > 1 else res.reshape(-1)
                else:
                    q = res.reshape(shp)
                s, zp = so, zo
            elif op[0] == "reshape":
                q = q.reshape(op[1])
            elif op[0] == "pool":
                shp = q.shape
                y = pool(as3d(q))
                q = y.reshape(y.shape[1:]) if len(shp) == 2 else y
            elif op[0] == "softmax":
                table = [f32(0)] * 256
                for d in range(256):
                    table[255 - d] = f32(libm.expf(float(f32(-f32(s) * f32(d)))))
                m = int(q.max())
                e = [table[255 - m + int(v)] for v in q]
                tot = f32(0)
                for ei in e:
                    tot = f32(tot + ei)
                inv = f32(f32(1) / f32(tot * f32(1 / 256)))
                q = np.array([max(-128, min(127, int(rha(float(f32(ei * inv)))) - 128)) for ei in e])
                s, zp = 1 / 256, -128
        outs.append([int(v) for v in q.reshape(-1)])
    out_cases.append({"name": c["name"], "input": {"scale": s_in, "zeroPoint": zp_in},
                      "output": {"scale": s, "zeroPoint": zp}, "y": outs})
json.dump({"generator": "testdata/learn/int8_reference.py", "numpy": np.__version__, "cases": out_cases}, sys.stdout)
