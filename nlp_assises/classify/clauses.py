"""Clause pooling: a theme is present when one clause of the contribution asks for it.

A bag of words sums its evidence, so in "Police de proximité renforcée. Faire payer les casseurs
par des travaux d'intérêt général" the words on the courts cancel the clause on the police, where
a reader (and the real answers' labellers) counts that clause. With pooling, each theme's score is
the highest of the whole text's and of its clauses' scores, and its regression learns from
clauses as multiple-instance learning does: every clause of a text without the theme is a
negative, and a text with the theme adds its one best clause (its *witness*) as a positive.
Measured in ``docs/classifier.md`` (*Clause pooling*).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

# Where one clause ends and the next begins: sentence ends, semicolons, colons, commas, line
# breaks, ellipses and list dashes ("plus de police, des caméras - et la justice")
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2026]+|\s[-\u2013\u2022*/+]\s")


def clauses(text: str, min_words: int = 2) -> list[str]:
    """The clauses of ``text`` of at least ``min_words`` words when it has two or more of them;
    else ``[]`` (the whole text is its only clause)."""
    parts = [part.strip() for part in _CLAUSE_BREAK.split(text)]
    parts = [part for part in parts if len(part.split()) >= min_words]
    return parts if len(parts) > 1 else []


def split_clauses(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Every clause of ``texts``, and for each the index of the text it comes from."""
    owners: list[int] = []
    parts: list[str] = []
    for i, text in enumerate(texts):
        found = clauses(text)
        owners += [i] * len(found)
        parts += found
    return np.asarray(owners, dtype=np.int64), parts


def pool_max(whole: np.ndarray, owners: np.ndarray, part_scores: np.ndarray) -> np.ndarray:
    """Per text (and theme), the highest of its whole-text score and its clauses' scores."""
    pooled = np.array(whole, dtype=np.float64, copy=True)
    if len(owners):
        np.maximum.at(pooled, owners, part_scores)
    return pooled


def witness_mask(y: np.ndarray, owners: np.ndarray, part_scores: np.ndarray) -> np.ndarray:
    """Which clauses a theme's regression learns from: all those of texts without the theme
    (``y == 0``: negatives), and of each text with it the best-scoring one (its witness)."""
    of_positive = y[owners] == 1
    keep = ~of_positive
    order = np.lexsort((-part_scores, owners))  # by text, best clause first
    first = np.ones(len(order), dtype=bool)
    first[1:] = owners[order][1:] != owners[order][:-1]
    best = order[first]
    keep[best[of_positive[best]]] = True
    return keep
