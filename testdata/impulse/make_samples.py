#!/usr/bin/python3
"""Writes the small hand-made sample files of testdata/impulse/samples and the
Pillow resize references of testdata/impulse/resize_pillow.json.

Run from the repository root with Debian's python3 (Pillow 9.4.0):
    /usr/bin/python3 testdata/impulse/make_samples.py
The output is deterministic. The values are chosen by hand and written with
independent encoders (a minimal CBOR writer below, Python's json, wave, hmac
and Pillow), so the Go parsers are checked against them, not against
themselves.
"""
import hashlib
import hmac
import json
import os
import struct
import wave

import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "samples")
os.makedirs(OUT, exist_ok=True)


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(OUT, name), mode) as f:
        f.write(data)


# --- minimal CBOR writer (RFC 8949): definite lengths, ints, float64, text, arrays, maps
def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


acc = {
    "protected": {"ver": "v1", "alg": "none"},
    "signature": "0" * 64,
    "payload": {
        "device_type": "HANDMADE",
        "interval_ms": 10,
        "sensors": [{"name": "accX", "units": "m/s2"}, {"name": "accY", "units": "m/s2"}, {"name": "accZ", "units": "m/s2"}],
        "values": [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12.5]],
    },
}
write("acc.json", json.dumps(acc))
write("acc.cbor", cbor(acc))

# Signed JSON (HS256): signature over the document with 64 '0's in its place.
key = b"tinyimpulse-test-key"
signed = {
    "protected": {"ver": "v1", "alg": "HS256", "iat": 1700000000},
    "signature": "0" * 64,
    "payload": {"device_name": "ac:87:a3:0a:2d:1b", "device_type": "HANDMADE", "interval_ms": 20,
                "sensors": [{"name": "temp", "units": "Cel"}], "values": [0.5, -1.25, 3]},
}
signed["signature"] = hmac.new(key, json.dumps(signed).encode(), hashlib.sha256).hexdigest()
write("signed.json", json.dumps(signed))

# Signed CBOR (HS256): the same rule on the CBOR encoding.
signed_cbor = dict(signed, signature="0" * 64)
signed_cbor["signature"] = hmac.new(key, cbor(signed_cbor), hashlib.sha256).hexdigest()
write("signed.cbor", cbor(signed_cbor))

# Binary-payload CBOR: definite maps with "values" last, an indefinite array
# holding "Ref-BINARY-i16" padded with spaces so that the payload starts at a
# multiple of 4 bytes, the break byte, then little-endian int16 values.
audio = [0, 1000, -1000, 32767, -32768, 1, -1]
prefix = (head(5, 3) + cbor("protected") + cbor({"ver": "v1", "alg": "none"}) + cbor("signature") + cbor("0" * 64)
          + cbor("payload") + head(5, 4) + cbor("device_type") + cbor("HANDMADE") + cbor("interval_ms") + cbor(0.0625)
          + cbor("sensors") + cbor([{"name": "audio", "units": "wav"}]) + cbor("values") + b"\x9f")
ref = "Ref-BINARY-i16"
pad = (-(len(prefix) + 1 + len(ref) + 1)) % 4
ref += " " * pad
header = prefix + head(3, len(ref)) + ref.encode() + b"\xff"
assert len(header) % 4 == 0
write("audio-binary.cbor", header + struct.pack("<%dh" % len(audio), *audio))

write("acc.csv", "timestamp,accX,accY\n0,1.5,-2\n10,2.5,-3\n20,3.5,-4\n30,4.5,-5\n")

with wave.open(os.path.join(OUT, "tone.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(struct.pack("<8h", 0, 100, -100, 32767, -32768, 1, -1, 0))

# 4x2 RGB image with distinct pixels: pixel (x, y) = (10*x + 100*y, 20 + x, 200 - y).
rgb = Image.new("RGB", (4, 2))
for y in range(2):
    for x in range(4):
        rgb.putpixel((x, y), (10 * x + 100 * y, 20 + x, 200 - y))
rgb.save(os.path.join(OUT, "rgb.png"))
gray = Image.new("L", (3, 3))
for y in range(3):
    for x in range(3):
        gray.putpixel((x, y), 30 * (3 * y + x))
gray.save(os.path.join(OUT, "gray.png"))
Image.new("RGB", (8, 8), (200, 40, 90)).save(os.path.join(OUT, "solid.jpg"), quality=95)

# Pillow references for the resize methods: a 7x5 RGB test card resized to
# several sizes with Lanczos (Image.LANCZOS) and nearest neighbour.
card = Image.new("RGB", (7, 5))
for y in range(5):
    for x in range(7):
        card.putpixel((x, y), ((37 * x + 11 * y) % 256, (19 * x * y + 50) % 256, 255 - 30 * x if x < 8 else 0))
cases = []
for (w, h) in [(3, 2), (4, 5), (7, 5), (14, 9), (10, 3), (2, 8)]:
    for name, method in [("lanczos3", Image.LANCZOS), ("nearest", Image.NEAREST)]:
        out = card.resize((w, h), method)
        cases.append({"method": name, "width": w, "height": h, "pixels": [list(out.getpixel((x, y))) for y in range(h) for x in range(w)]})
ref = {"pillow": PIL.__version__, "input": {"width": 7, "height": 5, "pixels": [list(card.getpixel((x, y))) for y in range(5) for x in range(7)]},
       "cases": cases}
with open(os.path.join(HERE, "resize_pillow.json"), "w") as f:
    json.dump(ref, f, indent=1)
    f.write("\n")

# A small dataset in Edge Impulse's export layout: info.labels at the root,
# with a multi-label sample (structured labels by value index, inclusive).
ds = os.path.join(OUT, "dataset")
for sub in ("training", "testing"):
    os.makedirs(os.path.join(ds, sub), exist_ok=True)


def series(values, interval=10):
    return json.dumps({"protected": {"ver": "v1", "alg": "none"}, "signature": "0" * 64,
                       "payload": {"device_type": "HANDMADE", "interval_ms": interval,
                                   "sensors": [{"name": "accX", "units": "m/s2"}, {"name": "accY", "units": "m/s2"}],
                                   "values": values}})


with open(os.path.join(ds, "training", "idle.1.json"), "w") as f:
    f.write(series([[0, 1]] * 30))
with open(os.path.join(ds, "training", "wave.1.json"), "w") as f:
    f.write(series([[i % 4, -(i % 4)] for i in range(30)]))
with open(os.path.join(ds, "training", "mixed.1.json"), "w") as f:
    f.write(series([[0, 1]] * 15 + [[i % 4, -(i % 4)] for i in range(15)]))
with open(os.path.join(ds, "testing", "wave.2.json"), "w") as f:
    f.write(series([[i % 3, 0] for i in range(60)], interval=20))
info = {"version": 1, "files": [
    {"path": "training/idle.1.json", "name": "idle.1", "category": "training", "label": {"type": "label", "label": "idle"}},
    {"path": "training/wave.1.json", "name": "wave.1", "category": "training", "label": {"type": "label", "label": "wave"}},
    {"path": "training/mixed.1.json", "name": "mixed.1", "category": "training",
     "label": {"type": "multi-label", "labels": [{"label": "idle", "startIndex": 0, "endIndex": 14},
                                                 {"label": "wave", "startIndex": 15, "endIndex": 29}]}},
    {"path": "testing/wave.2.json", "name": "wave.2", "category": "testing", "label": {"type": "label", "label": "wave"}},
]}
with open(os.path.join(ds, "info.labels"), "w") as f:
    json.dump(info, f, indent=1)
    f.write("\n")
