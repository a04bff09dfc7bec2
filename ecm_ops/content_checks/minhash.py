"""MinHash signatures of word shingles, in pure Python.

One-permutation hashing (Li, Owen & Zhang 2012) with rotation densification (Shrivastava &
Li 2014): each 5-word shingle is hashed once (CRC-32 per word, combined with fixed odd 64-bit
multipliers: stable across processes and Python versions, and cheap); its top 6 bits pick
one of 64 bins and the low 58 bits are the value kept if it is the bin's minimum; empty bins borrow the next non-empty bin's value (plus a per-step offset).
Two signatures agree in a bin with probability equal to the Jaccard similarity of the two
shingle sets, so ``similarity`` estimates it. For candidate search the 64 bins form 16
bands of 4 (LSH): texts sharing a band key are candidates; a pair with Jaccard similarity
0.5 shares at least one band with probability 1 - (1 - 0.5**4)**16 ≈ 0.64, at 0.7 ≈ 0.98,
at 0.3 ≈ 0.12.
"""

from __future__ import annotations

import re
import zlib
from hashlib import blake2b

SHINGLE_WORDS = 5
BINS = 64
ROWS = 4
BANDS = BINS // ROWS
MIN_SHINGLES = 10
_EMPTY = -1
_OFFSET = 0x9E3779B97F4A7C15  # added per densification step, keeps borrowed values distinct
_MASK58 = (1 << 58) - 1
_MASK64 = (1 << 64) - 1
_K = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
      0xFF51AFD7ED558CCD)  # fmt: skip
WORD = re.compile(r"\w+")


def shingle_hashes(text: str) -> list[int]:
    """A 64-bit hash per 5-word shingle: CRC-32 of each word, combined with odd 64-bit
    multipliers per position (so order matters); the high bits are well mixed."""
    words = [zlib.crc32(w.encode()) for w in WORD.findall(text.lower())]
    k1, k2, k3, k4, k5 = _K
    return [
        (a * k1 + b * k2 + c * k3 + d * k4 + e * k5) & _MASK64
        for a, b, c, d, e in zip(words, words[1:], words[2:], words[3:], words[4:], strict=False)
    ]


def signature(text: str) -> list[int] | None:
    """The text's signature (64 ints), or None when it has too few shingles to compare."""
    hashes = set(shingle_hashes(text))
    if len(hashes) < MIN_SHINGLES:
        return None
    sig = [_EMPTY] * BINS
    for h in hashes:
        b, v = h >> 58, h & _MASK58
        if sig[b] == _EMPTY or v < sig[b]:
            sig[b] = v
    filled = list(sig)
    for i in range(BINS):
        if sig[i] == _EMPTY:
            for step in range(1, BINS):
                j = (i + step) % BINS
                if sig[j] != _EMPTY:
                    filled[i] = (sig[j] + step * _OFFSET) & _MASK58
                    break
    return filled


def similarity(a: list[int], b: list[int]) -> float:
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / BINS


def band_keys(sig: list[int]) -> list[int]:
    """One signed 64-bit key per band (fits a BigIntegerField)."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        digest = blake2b(f"{band}:{rows}".encode(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys
