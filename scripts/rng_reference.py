#!/usr/bin/env python3
"""An independent implementation of src/kernels/rng.rs (SplitMix64 seeding, xoshiro256++, uniform f64 from
53 bits, Lemire's integers below n, Marsaglia's polar normals with the crate's own ln, Fisher-Yates) and of
what nn::Init, data::Batches::shuffle and datasets::spiral draw from it. It prints the values that the
tests in src/kernels/rng.rs, src/train/nn/init.rs, src/train/data/batches.rs and src/train/datasets.rs pin.
Run from anywhere: python3 scripts/rng_reference.py

Python floats are IEEE-754 doubles with correctly rounded +, -, *, / and sqrt and no fused multiply-add, so
every value but the spiral's sin/cos (the platform's libm, as in Rust's std) is reproduced bit for bit."""

import math
import struct

MASK = (1 << 64) - 1


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


# The crate's ln (src/kernels/vmath/f64.rs), operation by operation: fdlibm's reduction and polynomial.
LG = [
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
]
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
SQRT_2 = 1.4142135623730951
MIN_POSITIVE = 2.2250738585072014e-308


def ln(x):
    subnormal = x < MIN_POSITIVE
    xs = x * 18014398509481984.0 if subnormal else x
    b = bits(xs)
    m = from_bits((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    above = m > SQRT_2
    if above:
        m = m * 0.5
    exponent = from_bits(0x4330000000000000 | ((b >> 52) & 0x7FF)) - 4503599627370496.0
    k = exponent - 1023.0 + (1.0 if above else 0.0) - (54.0 if subnormal else 0.0)
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG[1] + w * (LG[3] + w * LG[5]))
    t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])))
    r = t2 + t1
    y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
    if x == math.inf:
        y = x
    if x == 0.0:
        y = -math.inf
    return y if x >= 0.0 else math.nan


class Rng:
    def __init__(self, seed=None, state=None):
        if state is None:
            seeder = SplitMix64(seed)
            state = [seeder.next() for _ in range(4)]
        self.s = list(state)
        self.spare = None

    def next(self):
        s = self.s
        out = (rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53

    def below(self, n):
        # Lemire: the high word of x·n, redrawn while the low word is below 2⁶⁴ mod n.
        m = self.next() * n
        if (m & MASK) < n:
            threshold = (1 << 64) % n
            while (m & MASK) < threshold:
                m = self.next() * n
        return m >> 64

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        while True:
            u = 2.0 * self.uniform() - 1.0
            v = 2.0 * self.uniform() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                f = math.sqrt(-2.0 * ln(s) / s)
                self.spare = v * f
                return u * f

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def init_he(seed, inputs, outputs):
    """nn::Init::He.sample::<f64, I, O>(seed), column-major."""
    std = math.sqrt(2.0 / inputs)
    rng = Rng(seed)
    return [std * rng.normal() for _ in range(inputs * outputs)]


def epoch_order(seed, epoch, n):
    """data::Batches::shuffle(seed): epoch `epoch`'s order of n rows."""
    rng = Rng(SplitMix64(seed).next() ^ epoch)
    order = list(range(n))
    rng.shuffle(order)
    return order


def spiral(seed, n, k):
    """datasets::spiral::<N, K>(seed): the points, row by row."""
    per_arm = n // k
    last = float(per_arm - 1)
    rng = Rng(seed)
    points = []
    for row in range(n):
        arm, i = row // per_arm, row % per_arm
        r = i / last
        noise = rng.normal()
        theta = 4.0 * arm + 4.0 * i / last + 0.2 * noise
        points.append((r * math.sin(theta), r * math.cos(theta)))
    return points


def hex_list(xs):
    return ", ".join(f"0x{bits(x):016x}" for x in xs)


def main():
    # The reference implementations' published outputs (splitmix64.c, xoshiro256plusplus.c).
    seeder = SplitMix64(1477776061723855037)
    assert [seeder.next() for _ in range(4)] == [
        1985237415132408290,
        2979275885539914483,
        13511426838097143398,
        8488337342461049707,
    ]
    rng = Rng(state=[1, 2, 3, 4])
    assert [rng.next() for _ in range(6)] == [
        41943041,
        58720359,
        3588806011781223,
        3591011842654386,
        9228616714210784205,
        9973669472204895162,
    ]
    # The crate's ln is within 1 ulp of the true value: a sanity check of the port.
    for x in [0.001, 0.3, 0.7071, 0.99, 1.5, 1e-300, 5e-324]:
        assert abs(ln(x) - math.log(x)) <= 2 * math.ulp(math.log(x)), x

    print("rng.rs, Rng::new(42):")
    rng = Rng(42)
    print("  next_u64:", ", ".join(str(rng.next()) for _ in range(4)))
    rng = Rng(42)
    print("  uniform bits:", hex_list([rng.uniform() for _ in range(3)]))
    rng = Rng(42)
    print("  below(10):", [rng.below(10) for _ in range(8)])
    rng = Rng(42)
    normals = [rng.normal() for _ in range(4)]
    print("  normal bits:", hex_list(normals), " =", normals)
    items = list(range(10))
    Rng(7).shuffle(items)
    print("rng.rs, Rng::new(7).shuffle(0..10):", items)
    w = init_he(7, 3, 2)
    print("init.rs, Init::He.sample::<f64, 3, 2>(7) column-major bits:", hex_list(w), " =", w)
    print("batches.rs, shuffle(42), epoch 3, 10 rows:", epoch_order(42, 3, 10))
    print("batches.rs, shuffle(42), epoch 4, 10 rows:", epoch_order(42, 4, 10))
    points = spiral(0, 300, 3)
    for row in [1, 150, 299]:
        x0, x1 = points[row]
        print(f"datasets.rs, spiral::<300, 3>(0) row {row}: ({x0!r}, {x1!r})")


if __name__ == "__main__":
    main()
