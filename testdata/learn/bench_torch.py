#!/usr/bin/python3
"""PyTorch peer of learn's benchmarks (BenchmarkTrainDense, BenchmarkTrainKWS,
BenchmarkTrainImage, BenchmarkInferDense, BenchmarkInferKWS): the same networks
and shapes, batch 32, Adam, 2 threads. Prints windows/s for one training epoch
(median of rounds) and µs per single-window inference.

Run: /usr/bin/python3 testdata/learn/bench_torch.py [rounds] [train]
(with "train", only the training figures; BENCH_THREADS=1 for one thread).
"""
import os, time, statistics, sys
import torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
torch.manual_seed(1)


class Dense(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(33, 20), nn.ReLU(), nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 4))

    def forward(self, x):
        return self.f(x)


class KWS(nn.Module):
    # Studio's MFCC default: reshape (50, 13) -> conv1d 8 k3 same relu -> maxpool 2 same
    # -> dropout .25 -> conv1d 16 k3 -> maxpool -> dropout -> flatten -> dense 4.
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(13, 8, 3, padding=1)
        self.c2 = nn.Conv1d(8, 16, 3, padding=1)
        self.p = nn.MaxPool1d(2, 2, ceil_mode=True)
        self.d = nn.Dropout(0.25)
        self.out = nn.Linear(16 * 13, 4)

    def forward(self, x):
        x = x.view(-1, 50, 13).transpose(1, 2)
        x = self.d(self.p(torch.relu(self.c1(x))))
        x = self.d(self.p(torch.relu(self.c2(x))))
        x = x.transpose(1, 2).reshape(x.shape[0], -1)
        return self.out(x)


class Image(nn.Module):
    # Studio's image default: conv2d 32 k3 same relu -> maxpool 2 same -> conv2d 16
    # k3 same relu -> maxpool 2 same -> flatten -> dropout .25 -> dense 4 (kernel
    # MaxNorm(1) is applied after each step in Keras; here as in learn).
    def __init__(self, side):
        super().__init__()
        self.side = side
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 16, 3, padding=1)
        self.p = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.d = nn.Dropout(0.25)
        q = (side + 1) // 2
        q = (q + 1) // 2
        self.out = nn.Linear(16 * q * q, 4)

    def forward(self, x):
        x = x.view(-1, 1, self.side, self.side)
        x = self.p(torch.relu(self.c1(x)))
        x = self.p(torch.relu(self.c2(x)))
        x = self.d(x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))
        return self.out(x)

    def constrain(self):
        with torch.no_grad():
            for c in (self.c1, self.c2):
                w = c.weight  # (out, in, kh, kw): the norm over all but the output axis
                n = w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
                w.mul_(n.clamp(max=1.0) / (1e-7 + n))


ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def train_rate(model, nf, n, rounds=None):
    rounds = rounds or ROUNDS
    X = torch.randn(n, nf)
    y = torch.randint(0, 4, (n,))
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss = nn.CrossEntropyLoss()
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        model.train()
        for i in range(0, n, 32):
            opt.zero_grad()
            l = loss(model(X[i:i + 32]), y[i:i + 32])
            l.backward()
            opt.step()
            if hasattr(model, "constrain"):
                model.constrain()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def infer_us(model, nf, reps=2000):
    model.eval()
    x = torch.randn(1, nf)
    with torch.no_grad():
        for _ in range(100):
            model(x)
        ts = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(reps):
                model(x)
            ts.append((time.perf_counter() - t) / reps * 1e6)
    return statistics.median(ts)


print("torch", torch.__version__, "threads", torch.get_num_threads())
print("train dense windows/s %.0f" % train_rate(Dense(), 33, 4096))
print("train kws   windows/s %.0f" % train_rate(KWS(), 650, 2048))
print("train image16 windows/s %.0f" % train_rate(Image(16), 256, 1024))
print("train image96 windows/s %.0f" % train_rate(Image(96), 96 * 96, 128))
if len(sys.argv) > 2 and sys.argv[2] == "train":
    sys.exit(0)
print("infer dense us %.1f" % infer_us(Dense(), 33))
print("infer kws   us %.1f" % infer_us(KWS(), 650))
