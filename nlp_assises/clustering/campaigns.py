"""Copy-paste campaigns: exact and near-duplicate contributions, grouped so that one campaign does
not look like a hundred people. MinHash over word 3-shingles finds candidates (LSH bands); the
Jaccard similarity of the shingle sets confirms them.

The work is split so that a national consultation never holds every text's shingles at once:
:meth:`CampaignDetector.band_keys` reduces each text to a row of integers (one per LSH band,
computed anywhere: the Dask engine's workers), :meth:`CampaignDetector.group` finds the
candidates from those keys alone and asks for the texts of the candidates only, to confirm
them. :meth:`CampaignDetector.fit_predict` does both in one process."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from datasketch import MinHash, MinHashLSH

_BAND_MIX_SEED = 20200101  # fixed: the same band keys in every process
_ALL_PAIRS = 64  # a bucket up to this size has every pair checked
_TEXT_BATCH = 10_000  # candidates' texts asked for at a time


def _shingles(text: str, k: int = 3) -> set[str]:
    folded = unicodedata.normalize("NFD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = re.findall(r"\w+", folded)
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


class CampaignDetector:
    """``threshold``: Jaccard similarity of shingles above which two texts are copies.

    ``min_size``: a group smaller than this is not a campaign (two similar texts can be chance).
    ``min_words``: shorter texts are never campaigns ("Plus de police" is said by thousands of
    people on their own).
    """

    def __init__(
        self, threshold: float = 0.6, min_size: int = 3, num_perm: int = 128, min_words: int = 12
    ) -> None:
        self.threshold = threshold
        self.min_size = min_size
        self.num_perm = num_perm
        self.min_words = min_words

    def fit_predict(self, ids: list[str], texts: list[str]) -> dict[str, str | None]:
        """Map each id to a campaign id (``campagne-<hash>``) or None."""
        keys = self.band_keys(texts)
        by_id = dict(zip(ids, texts, strict=True))
        found = self.group(ids, keys, lambda wanted: [by_id[i] for i in wanted])
        return {cid: found.get(cid) for cid in ids}

    # -- the two steps ------------------------------------------------------------------------
    def band_keys(self, texts: Sequence[str]) -> np.ndarray:
        """One row of LSH band keys (uint64) per text, datasketch's bands of the text's MinHash
        (seed 1) each mixed into one integer; a row of zeros for a text too short to be a
        campaign. Two texts share a band key when they share that band's hash values."""
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        template = MinHash(num_perm=self.num_perm, seed=1)
        mix = np.random.default_rng(_BAND_MIX_SEED).integers(
            1, 2**63, size=lsh.r, dtype=np.uint64
        ) | np.uint64(1)
        keys = np.zeros((len(texts), lsh.b), dtype=np.uint64)
        for row, text in enumerate(texts):
            shingles = _shingles(text)
            if len(text.split()) < self.min_words or not shingles:
                continue
            minhash = MinHash(
                num_perm=self.num_perm,
                seed=1,
                permutations=template.permutations,
                scheme=template.scheme,
            )
            minhash.update_batch([s.encode("utf-8") for s in shingles])
            values = minhash.hashvalues.astype(np.uint64)
            with np.errstate(over="ignore"):
                for band, (start, end) in enumerate(lsh.hashranges):
                    keys[row, band] = (values[start:end] * mix[: end - start]).sum()
            keys[row][keys[row] == 0] = 1  # 0 marks "no key"
        return keys

    def group(
        self,
        ids: Sequence[str],
        keys: np.ndarray,
        texts_of: Callable[[list[str]], list[str]],
    ) -> dict[str, str]:
        """The campaigns among ``ids`` from their :meth:`band_keys`: each campaign member's id
        → its campaign id (others are left out). ``texts_of(ids)`` gives the texts of the
        candidates (those sharing a band key with another text), to confirm each pair by the
        Jaccard similarity of their shingles; it is called for the candidates only, 10,000 at a
        time."""
        n = len(ids)
        candidates = _in_shared_buckets(keys)
        shingles: dict[int, np.ndarray] = {}  # a candidate's shingles, hashed and sorted
        for start in range(0, len(candidates), _TEXT_BATCH):
            rows = candidates[start : start + _TEXT_BATCH].tolist()
            for k, text in zip(rows, texts_of([ids[k] for k in rows]), strict=True):
                shingles[k] = _hashed_shingles(text)
        parent = list(range(n))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for band in range(keys.shape[1]):  # one band's pairs at a time: bounded memory
            for a, b in _band_pairs(keys[:, band]).tolist():
                ra, rb = find(a), find(b)
                if ra == rb:
                    continue  # already joined: the pair cannot change the groups
                sa, sb = shingles[a], shingles[b]
                common = np.intersect1d(sa, sb, assume_unique=True).size
                if common / (sa.size + sb.size - common) >= self.threshold:
                    parent[max(ra, rb)] = min(ra, rb)
        groups: dict[int, list[str]] = {}
        for k in candidates.tolist():
            groups.setdefault(find(k), []).append(ids[k])
        result: dict[str, str] = {}
        for members in groups.values():
            if len(members) >= self.min_size:
                name = "campagne-" + hashlib.sha256(min(members).encode()).hexdigest()[:8]
                for cid in members:
                    result[cid] = name
        return result


def _hashed_shingles(text: str) -> np.ndarray:
    """A text's shingles as sorted distinct 64-bit hashes: a tenth of a set of strings' memory,
    the same Jaccard similarity (one process's ``hash``: they are compared in that process)."""
    shingles = _shingles(text)
    return np.unique(np.fromiter((hash(s) for s in shingles), dtype=np.int64, count=len(shingles)))


def _buckets(column: np.ndarray) -> Iterator[np.ndarray]:
    """The rows sharing a key in one band (key 0: none), a sorted array a bucket of two or
    more."""
    rows = np.flatnonzero(column)
    if len(rows) < 2:
        return
    order = rows[np.argsort(column[rows], kind="stable")]
    sorted_keys = column[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if end - start >= 2:
            yield np.sort(order[start:end])


def _in_shared_buckets(keys: np.ndarray) -> np.ndarray:
    """The rows that share a band key with another row in some band (the candidates)."""
    found = np.zeros(len(keys), dtype=bool)
    for band in range(keys.shape[1]):
        for members in _buckets(keys[:, band]):
            found[members] = True
    return np.flatnonzero(found)


def _band_pairs(column: np.ndarray) -> np.ndarray:
    """Pairs of rows (i < j) that share a key in one band, as an (m, 2) array: every pair of a
    bucket of up to ``_ALL_PAIRS`` members; in a larger one (a campaign's copies), each member
    with the bucket's first and with the next one, which joins the whole bucket when its
    members are copies without listing its n² pairs."""
    found = []
    for members in _buckets(column):
        if len(members) <= _ALL_PAIRS:
            i, j = np.triu_indices(len(members), 1)
            found.append(np.column_stack([members[i], members[j]]))
        else:
            found.append(np.column_stack([np.repeat(members[0], len(members) - 1), members[1:]]))
            found.append(np.column_stack([members[:-1], members[1:]]))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.vstack(found)
