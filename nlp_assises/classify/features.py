"""Lexical features: TF-IDF over accent-folded character n-grams and word uni- and bigrams, saved as
plain JSON + npz.

Character n-grams inside word boundaries hold up under misspellings and SMS spelling ("securite",
"gendarmes" / "gendarme", "comissariat"); word n-grams keep the phrases ("porter plainte", "à
pied") that character n-grams cut. Both measured better together (``docs/classifier.md``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")
_WORD_PATTERN = r"(?u)\b\w\w+\b"


def fold(text: str) -> str:
    """Lower-case, accents removed, placeholders dropped: the form lexical features see."""
    text = _PLACEHOLDER.sub(" ", text).lower().replace("’", "'")
    if text.isascii():  # nothing to decompose
        return text
    return unicodedata.normalize("NFD", text).translate(_DROP_COMBINING)


class _CombiningMarks(dict):
    """A ``str.translate`` table deleting combining marks, filled as characters are met: much
    faster than testing each character of each text."""

    def __missing__(self, code: int) -> int | None:
        self[code] = None if unicodedata.combining(chr(code)) else code
        return self[code]


_DROP_COMBINING = _CombiningMarks()


def _vectorizer(analyzer: str, ngram_range, min_df, max_features, vocabulary=None):
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
        preprocessor=fold,
        token_pattern=_WORD_PATTERN if analyzer == "word" else None,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def dense_to_csr(array: np.ndarray) -> sparse.csr_array:
    """``sparse.csr_array(array)`` (zeros left out, row-major order) without its overhead."""
    array = np.atleast_2d(array)
    rows, cols = np.nonzero(array)
    indptr = np.zeros(array.shape[0] + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=array.shape[0]), out=indptr[1:])
    return sparse.csr_array((array[rows, cols], cols.astype(np.int32), indptr), shape=array.shape)


def hstack_csr(blocks: list) -> sparse.csr_array:
    """``sparse.hstack(blocks, format="csr")`` for CSR blocks of one dtype: each row is the rows
    of the blocks side by side, in order. The same matrix, without scipy's per-call checks that
    cost more than the work on the few rows of a request."""
    n_rows = blocks[0].shape[0]
    lengths = [np.diff(block.indptr) for block in blocks]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(sum(lengths), out=indptr[1:])
    size = int(indptr[-1])
    n_cols = sum(block.shape[1] for block in blocks)
    index_dtype = np.int32 if max(size, n_cols) < 2**31 else np.int64
    data = np.empty(size, dtype=blocks[0].dtype)
    indices = np.empty(size, dtype=index_dtype)
    before = indptr[:-1].copy()  # where each row's entries of the next block start
    offset = 0
    for block, length in zip(blocks, lengths, strict=True):
        nnz = int(block.indptr[-1])
        # the position of each entry of this block in the stacked rows
        where = np.repeat(before - block.indptr[:-1], length) + np.arange(nnz)
        data[where] = block.data[:nnz]
        indices[where] = block.indices[:nnz].astype(index_dtype) + offset
        before += length
        offset += block.shape[1]
    return sparse.csr_array((data, indices, indptr.astype(index_dtype)), shape=(n_rows, n_cols))


class _Counts:
    """The count step of a fitted ``TfidfVectorizer`` on already-folded texts, the same matrix
    (checked in the tests) for a fraction of the cost: texts are folded once for both blocks, and
    a word's character n-grams are looked up once, then remembered, since ``char_wb`` n-grams never
    cross a word boundary and the words of a consultation repeat endlessly."""

    def __init__(self, vectorizer: TfidfVectorizer, max_cached_words: int = 200_000) -> None:
        self.vocabulary = vectorizer.vocabulary_
        self.min_n, self.max_n = vectorizer.ngram_range
        self.char_wb = vectorizer.analyzer == "char_wb"
        self.token_pattern = re.compile(vectorizer.token_pattern or _WORD_PATTERN)
        self.dtype = vectorizer.dtype
        self.idf = vectorizer.idf_
        self.sublinear_tf = vectorizer.sublinear_tf
        self.norm = vectorizer.norm
        self.max_cached_words = max_cached_words
        self._words: dict[str, np.ndarray] = {}

    def _word_ngrams(self, word: str) -> np.ndarray:
        """Vocabulary indices of a word's padded character n-grams (sklearn's ``char_wb``)."""
        found = self._words.get(word)
        if found is None:
            padded = f" {word} "
            length = len(padded)
            grams = []
            for n in range(self.min_n, self.max_n + 1):
                if length <= n:  # a short word counts once, whole, then stops
                    grams.append(padded)
                    break
                grams += [padded[start : start + n] for start in range(length - n + 1)]
            vocabulary = self.vocabulary
            found = np.array([vocabulary[g] for g in grams if g in vocabulary], dtype=np.int32)
            if len(self._words) >= self.max_cached_words:
                self._words.clear()
            self._words[word] = found
        return found

    def _indices(self, text: str) -> np.ndarray:
        """The vocabulary index of every feature occurrence in ``text`` (repeated)."""
        if self.char_wb:
            words = text.split()
            if not words:
                return np.zeros(0, dtype=np.int32)
            return np.concatenate([self._word_ngrams(word) for word in words])
        tokens = self.token_pattern.findall(text)
        grams = list(tokens)
        for n in range(max(self.min_n, 2), self.max_n + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        if self.min_n > 1:
            grams = grams[len(tokens) :]
        vocabulary = self.vocabulary
        return np.array([vocabulary[g] for g in grams if g in vocabulary], dtype=np.int32)

    def transform(self, folded: list[str]):
        n_features = len(self.vocabulary)
        indptr, indices, data = [0], [], []
        for text in folded:
            counts = np.bincount(self._indices(text), minlength=n_features)
            present = np.flatnonzero(counts)
            indices.append(present.astype(np.int32))
            data.append(counts[present].astype(self.dtype))
            indptr.append(indptr[-1] + len(present))
        empty = np.zeros(0)
        counts = sparse.csr_array(
            (
                np.concatenate(data) if data else empty.astype(self.dtype),
                np.concatenate(indices) if indices else empty.astype(np.int32),
                np.array(indptr, dtype=np.int32),
            ),
            shape=(len(folded), n_features),
        )
        counts.has_sorted_indices = True  # flatnonzero returns them sorted
        # sklearn's TfidfTransformer.transform, less its input checks
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self.idf[counts.indices]
        if self.norm == "l2":  # what sklearn's ``normalize`` calls, less its input checks
            inplace_csr_row_normalize_l2(counts)
        elif self.norm:
            counts = normalize(counts, norm=self.norm, copy=False)
        return counts


class LexicalFeatures:
    """``word_weight``: scale of the word block against the character block (0 leaves it out)."""

    def __init__(
        self,
        ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 2,
        max_features: int = 60_000,
        word_weight: float = 2.0,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.word_weight = word_weight
        self._chars: TfidfVectorizer | None = None
        self._words: TfidfVectorizer | None = None
        self._counts: list[_Counts] | None = None

    def fit(self, texts: list[str]) -> LexicalFeatures:
        self._chars = _vectorizer("char_wb", self.ngram_range, self.min_df, self.max_features).fit(
            texts
        )
        if self.word_weight:
            self._words = _vectorizer("word", (1, 2), self.min_df, self.max_features).fit(texts)
        self._counts = None
        return self

    def transform(self, texts: list[str]):
        if self._chars is None:
            raise RuntimeError("LexicalFeatures is not fitted")
        if self._counts is None:
            self._counts = [_Counts(v) for v in (self._chars, self._words) if v is not None]
        folded = [fold(text) for text in texts]
        chars = self._counts[0].transform(folded)
        if self._words is None:
            return chars
        words = self._counts[1].transform(folded)
        words.data *= self.word_weight
        return hstack_csr([chars, words])

    def save(self, folder: Path) -> None:
        def vocabulary(vectorizer):
            return {k: int(v) for k, v in vectorizer.vocabulary_.items()}

        config = {
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_features": self.max_features,
            "word_weight": self.word_weight,
            "vocabulary": vocabulary(self._chars),
            "word_vocabulary": vocabulary(self._words) if self._words else None,
        }
        (folder / "lexical.json").write_text(json.dumps(config, ensure_ascii=False))
        idf = {"idf": self._chars.idf_}
        if self._words is not None:
            idf["word_idf"] = self._words.idf_
        np.savez(folder / "lexical_idf.npz", **idf)

    @classmethod
    def load(cls, folder: Path) -> LexicalFeatures:
        config = json.loads((folder / "lexical.json").read_text())
        features = cls(
            tuple(config["ngram_range"]),
            config["min_df"],
            config["max_features"],
            config.get("word_weight", 0.0),
        )
        with np.load(folder / "lexical_idf.npz", allow_pickle=False) as data:
            features._chars = _fitted(
                _vectorizer(
                    "char_wb",
                    features.ngram_range,
                    features.min_df,
                    features.max_features,
                    config["vocabulary"],
                ),
                data["idf"],
            )
            if config.get("word_vocabulary"):
                features._words = _fitted(
                    _vectorizer(
                        "word",
                        (1, 2),
                        features.min_df,
                        features.max_features,
                        config["word_vocabulary"],
                    ),
                    data["word_idf"],
                )
        return features


def _fitted(vectorizer: TfidfVectorizer, idf: np.ndarray) -> TfidfVectorizer:
    """A vectorizer with a fixed vocabulary and the saved idf weights, without refitting."""
    vectorizer.fit(["a b"])  # builds the internal transformer for the fixed vocabulary
    vectorizer.idf_ = idf
    return vectorizer
