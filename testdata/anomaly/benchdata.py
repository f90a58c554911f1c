"""Deterministic synthetic feature matrices shared by the Go benchmarks and the scikit-learn scripts.

benchdata(n, m) must stay in step with benchData in anomaly/bench_test.go: both draw from a
counter-based splitmix64 stream (value i of stream s = mix(s + (i+1)*0x9E3779B97F4A7C15)),
turn pairs of uniforms into normals with Box-Muller, and build a mixture of 10 anisotropic
Gaussian "operating states" in m dimensions. Go and numpy agree to rounding (log/cos and the
order of the matrix product may differ in the last bits), which does not matter for timing.
"""
import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)
STATES = 10


def splitmix(seed, n):
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def normals(seed, n):
    u = splitmix(seed, 2 * n)
    u1, u2 = 1.0 - u[0::2], u[1::2]
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def benchdata(n, m):
    centres = 1.0 * normals(1, STATES * m).reshape(STATES, m)
    transforms = normals(2, STATES * m * m).reshape(STATES, m, m) / np.sqrt(m)
    scales = 0.3 + 1.2 * splitmix(3, STATES)
    state = np.floor(splitmix(4, n) * STATES).astype(np.int64)
    z = normals(5, n * m).reshape(n, m)
    x = np.empty((n, m))
    for i in range(n):
        g = state[i]
        x[i] = centres[g] + scales[g] * (transforms[g] @ z[i])
    return x


if __name__ == "__main__":
    x = benchdata(5, 4)
    np.set_printoptions(precision=17)
    print(x)
