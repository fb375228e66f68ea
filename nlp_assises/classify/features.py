"""Lexical features: TF-IDF over accent-folded character n-grams, saved as plain JSON + npz.

Character n-grams inside word boundaries hold up under misspellings and SMS spelling ("securite",
"gendarmes" / "gendarme", "comissariat"), where word or lemma features break.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")


def fold(text: str) -> str:
    """Lower-case, accents removed, placeholders dropped: the form lexical features see."""
    text = _PLACEHOLDER.sub(" ", text)
    decomposed = unicodedata.normalize("NFD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class LexicalFeatures:
    def __init__(
        self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 2, max_features: int = 60_000
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self._vectorizer: TfidfVectorizer | None = None

    def _new(self, vocabulary=None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            preprocessor=fold,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    def fit(self, texts: list[str]) -> LexicalFeatures:
        self._vectorizer = self._new().fit(texts)
        return self

    def transform(self, texts: list[str]):
        if self._vectorizer is None:
            raise RuntimeError("LexicalFeatures is not fitted")
        return self._vectorizer.transform(texts)

    @property
    def n_features(self) -> int:
        return len(self._vectorizer.vocabulary_) if self._vectorizer else 0

    def save(self, folder: Path) -> None:
        vocabulary = {k: int(v) for k, v in self._vectorizer.vocabulary_.items()}
        (folder / "lexical.json").write_text(
            json.dumps(
                {
                    "ngram_range": list(self.ngram_range),
                    "min_df": self.min_df,
                    "max_features": self.max_features,
                    "vocabulary": vocabulary,
                },
                ensure_ascii=False,
            )
        )
        np.savez(folder / "lexical_idf.npz", idf=self._vectorizer.idf_)

    @classmethod
    def load(cls, folder: Path) -> LexicalFeatures:
        config = json.loads((folder / "lexical.json").read_text())
        features = cls(tuple(config["ngram_range"]), config["min_df"], config["max_features"])
        vectorizer = features._new(vocabulary=config["vocabulary"])
        with np.load(folder / "lexical_idf.npz", allow_pickle=False) as data:
            idf = data["idf"]
        vectorizer.fit(["a"])  # creates the internal transformer; idf is set right after
        vectorizer.idf_ = idf
        features._vectorizer = vectorizer
        return features
