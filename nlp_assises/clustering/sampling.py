"""Which units a theme's groups are found on, chosen by what the units say, not where they sit.

Grouping reads at most ``max_fit_units`` units (average linkage needs their n × n
similarities). Drawn by position (``rng.choice(n)``), that sample was another one whenever a
single answer was added or removed, or the answers came in another order, and the groups with
it: on the 7,237 real answers, the same answers in another order gave groups at ARI 0.69–0.71
of each other (docs/proposals.md, *Groups that do not depend on the order of the answers*).
Here each unit gets a salted hash of its key (its contribution and its text) and the sample is
the units with the smallest hashes, in hash order (a bottom-k sample): an added answer enters
the sample or not on its own hash, the others stay, and the order of the input does not matter.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Sequence

import numpy as np


def content_order(keys: Sequence[str], size: int, seed: int = 0) -> np.ndarray:
    """Indices of the ``size`` keys with the smallest hash salted by ``seed``, in that order
    (all of them when ``size`` reaches their number). Equal keys are told apart by their rank
    among equals, so repeated answers ("Éduquer") enter the sample one by one, not all or
    none."""
    seen: Counter[str] = Counter()
    scored = []
    for index, key in enumerate(keys):
        rank = seen[key]
        seen[key] += 1
        text = f"{seed}\x00{key}\x00{rank}".encode()
        scored.append((hashlib.blake2b(text, digest_size=8).digest(), index))
    return np.asarray([index for _, index in heapq.nsmallest(size, scored)], dtype=np.intp)
