"""Deterministic, index-addressable randomness: object i is a pure function of (seed, i)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
MASK64 = (1 << 64) - 1
_SALTS: dict[str, int] = {}
_BASES: dict[tuple[int, str], int] = {}


def mix64(x: int) -> int:
    """The splitmix64 finaliser: a cheap, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def salt(name: str) -> int:
    """A stable 64-bit salt for a kind of object ('user', 'signin', ...)."""
    found = _SALTS.get(name)
    if found is None:
        found = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
        _SALTS[name] = found
    return found


def hash64(seed: int, kind: str, index: int | str) -> int:
    """One 64-bit draw for object `index` (a number or a string key) of `kind`."""
    if isinstance(index, str):
        index = int.from_bytes(hashlib.blake2b(index.encode(), digest_size=8).digest(), "big")
    base = _BASES.get((seed, kind))
    if base is None:
        base = _BASES[(seed, kind)] = mix64((seed & MASK64) ^ salt(kind))
    return mix64(base ^ (index & MASK64))


def unit(h: int) -> float:
    """Map a 64-bit hash to [0, 1)."""
    return (h >> 11) / 9007199254740992.0


def guid(seed: int | str, kind: str, index: int | str) -> str:
    """A random-looking, stable version-4 GUID."""
    raw = bytearray(hashlib.blake2b(f"{seed}|{kind}|{index}".encode(), digest_size=16).digest())
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Draws:
    """Successive independent draws for one object."""

    __slots__ = ("_n", "_state")

    def __init__(self, seed: int, kind: str, index: int | str) -> None:
        self._state = hash64(seed, kind, index)
        self._n = 0

    def next64(self) -> int:
        """The next raw 64-bit value."""
        self._n += 1
        return mix64(self._state + self._n)

    def random(self) -> float:
        """Uniform in [0, 1)."""
        return unit(self.next64())

    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return self.next64() % n if n > 0 else 0

    def choice(self, items: Sequence[T]) -> T:
        """One element, uniformly."""
        return items[self.below(len(items))]

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.random() < p

    def gauss(self) -> float:
        """A standard normal draw (Box-Muller)."""
        u1 = max(self.random(), 1e-12)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * self.random())


class AffinePermutation:
    """A bijection of range(n): x -> (a*x + b) mod n, with a cheap inverse."""

    __slots__ = ("_a", "_a_inv", "_b", "n")

    def __init__(self, n: int, seed: int, kind: str) -> None:
        self.n = n
        if n <= 1:
            self._a, self._a_inv, self._b = 1, 1, 0
            return
        h = hash64(seed, kind, n)
        a = (h % n) | 1
        while math.gcd(a, n) != 1:
            a = (a + 2) % n or 1
        self._a = a
        self._a_inv = pow(a, -1, n)
        self._b = mix64(h) % n

    def forward(self, x: int) -> int:
        """Image of x."""
        return (self._a * x + self._b) % self.n if self.n > 1 else x

    def inverse(self, y: int) -> int:
        """Preimage of y."""
        return (self._a_inv * (y - self._b)) % self.n if self.n > 1 else y
