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

_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")
_WORD_PATTERN = r"(?u)\b\w\w+\b"


def fold(text: str) -> str:
    """Lower-case, accents removed, placeholders dropped: the form lexical features see."""
    text = _PLACEHOLDER.sub(" ", text)
    decomposed = unicodedata.normalize("NFD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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

    def fit(self, texts: list[str]) -> LexicalFeatures:
        self._chars = _vectorizer("char_wb", self.ngram_range, self.min_df, self.max_features).fit(
            texts
        )
        if self.word_weight:
            self._words = _vectorizer("word", (1, 2), self.min_df, self.max_features).fit(texts)
        return self

    def transform(self, texts: list[str]):
        if self._chars is None:
            raise RuntimeError("LexicalFeatures is not fitted")
        chars = self._chars.transform(texts)
        if self._words is None:
            return chars
        return sparse.hstack([chars, self._words.transform(texts) * self.word_weight], format="csr")

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
