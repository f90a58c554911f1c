#!/usr/bin/python3
"""Writes mlperf_models.json: the four MLPerf Tiny reference models as
tinyimpulse/device.Network descriptions (int8 and float32 variants).

The architectures are those of mlcommons/tiny benchmark/training (KWS DS-CNN
kws_ref_model, VWW MobileNetV1-0.25 96x96 vww_96, IC ResNet-8
pretrainedResnet, AD FC-AutoEncoder ad01); the shapes, op order and MAC
counts agree with device-calibration-qemu-perop.csv and the MAC/parameter
totals of device-estimates.md §2. Batch-norm layers are folded and
activations fused, as the TFLite converter does. Weight bytes: 1 per int8
weight and 4 per int32 bias in int8 models, 4 per value in float32 models.

    /usr/bin/python3 testdata/device/mlperf_models.py > testdata/device/mlperf_models.json
"""
import json
import sys


class Net:
    def __init__(self, shape):
        self.input = list(shape)
        self.shapes = [list(shape)]
        self.ops = []

    def add(self, kind, out, src=None, **kw):
        op = {"kind": kind, "output": list(out)}
        if src is not None:
            op["inputs"] = src
        op.update(kw)
        self.ops.append(op)
        self.shapes.append(list(out))
        return len(self.ops)  # tensor id of the output

    def last(self):
        return len(self.ops)

    def conv(self, cout, k, s=1, src=None, wb=1):
        t = self.last() if src is None else src
        h, w, cin = self.shapes[t]
        kh, kw = (k, k) if isinstance(k, int) else k
        sh, sw = (s, s) if isinstance(s, int) else s
        out = [-(-h // sh), -(-w // sw), cout]
        return self.add("CONV_2D", out, None if src is None else [src], kernelH=kh, kernelW=kw,
                        strideH=sh, strideW=sw, weightBytes=kh * kw * cin * cout * wb, biasBytes=4 * cout)

    def dw(self, s=1, wb=1):
        h, w, c = self.shapes[self.last()]
        out = [-(-h // s), -(-w // s), c]
        return self.add("DEPTHWISE_CONV_2D", out, kernelH=3, kernelW=3, strideH=s, strideW=s,
                        weightBytes=9 * c * wb, biasBytes=4 * c)

    def avgpool(self):
        h, w, c = self.shapes[self.last()]
        return self.add("AVERAGE_POOL_2D", [1, 1, c], kernelH=h, kernelW=w, strideH=h, strideW=w)

    def flatten(self):
        n = 1
        for v in self.shapes[self.last()]:
            n *= v
        return self.add("RESHAPE", [n])

    def dense(self, n, wb=1):
        cin = 1
        for v in self.shapes[self.last()]:
            cin *= v
        return self.add("FULLY_CONNECTED", [n], weightBytes=cin * n * wb, biasBytes=4 * n)

    def softmax(self):
        return self.add("SOFTMAX", self.shapes[self.last()])

    def json(self, dtype):
        return {"dtype": dtype, "input": self.input, "ops": self.ops}


def kws(wb):
    n = Net([49, 10, 1])
    n.conv(64, (10, 4), 2, wb=wb)
    for _ in range(4):
        n.dw(wb=wb)
        n.conv(64, 1, wb=wb)
    n.avgpool(); n.flatten(); n.dense(12, wb=wb); n.softmax()
    return n


def vww(wb):
    n = Net([96, 96, 3])
    n.conv(8, 3, 2, wb=wb)
    for cout, s in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                    (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]:
        n.dw(s, wb=wb)
        n.conv(cout, 1, wb=wb)
    n.avgpool(); n.flatten(); n.dense(2, wb=wb); n.softmax()
    return n


def ic(wb):
    n = Net([32, 32, 3])
    x = n.conv(16, 3, wb=wb)
    n.conv(16, 3, wb=wb)
    y = n.conv(16, 3, wb=wb)
    x = n.add("ADD", [32, 32, 16], [x, y])
    for c in (32, 64):
        n.conv(c, 3, 2, src=x, wb=wb)
        y = n.conv(c, 3, wb=wb)
        s = n.conv(c, 1, 2, src=x, wb=wb)
        h = n.shapes[s][0]
        x = n.add("ADD", [h, h, c], [s, y])
    n.avgpool(); n.flatten(); n.dense(10, wb=wb); n.softmax()
    return n


def ad(wb):
    n = Net([640])
    for k in [128, 128, 128, 128, 8, 128, 128, 128, 128, 640]:
        n.dense(k, wb=wb)
    return n


models = {}
for name, f in [("kws", kws), ("vww", vww), ("ic", ic), ("ad", ad)]:
    models[name + "-int8"] = f(1).json("int8")
    models[name + "-float32"] = f(4).json("float32")
json.dump(models, sys.stdout, indent=1)
sys.stdout.write("\n")
