"""Copy-paste campaigns: exact and near-duplicate contributions, grouped so that one campaign does
not look like a hundred people. MinHash over word 3-shingles finds candidates; the Jaccard
similarity of the shingle sets confirms them."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from datasketch import MinHash, MinHashLSH


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
        lsh = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        shingles, hashes = {}, {}
        for cid, text in zip(ids, texts, strict=True):
            sh = _shingles(text)
            if len(text.split()) < self.min_words or not sh:
                continue
            mh = MinHash(num_perm=self.num_perm, seed=1)
            for s in sh:
                mh.update(s.encode("utf-8"))
            shingles[cid], hashes[cid] = sh, mh
            lsh.insert(cid, mh)
        parent = {cid: cid for cid in shingles}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for cid, mh in hashes.items():
            for other in lsh.query(mh):
                if other == cid:
                    continue
                a, b = shingles[cid], shingles[other]
                if len(a & b) / len(a | b) >= self.threshold:
                    ra, rb = find(cid), find(other)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
        groups: dict[str, list[str]] = {}
        for cid in shingles:
            groups.setdefault(find(cid), []).append(cid)
        result: dict[str, str | None] = {cid: None for cid in ids}
        for members in groups.values():
            if len(members) >= self.min_size:
                name = "campagne-" + hashlib.sha256(min(members).encode()).hexdigest()[:8]
                for cid in members:
                    result[cid] = name
        return result
