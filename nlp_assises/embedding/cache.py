"""Embeddings cached by (model id, text hash): a text is embedded once per model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from nlp_assises.embedding.base import Embedder


class EmbeddingCache(Protocol):
    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None: ...


class MemoryEmbeddingCache:
    """A dict, for notebooks and tests that have no store. With ``max_items`` the oldest entries
    go first: the service's cache would otherwise grow with every new text it is sent."""

    def __init__(self, max_items: int | None = None) -> None:
        self.max_items = max_items
        self._data: dict[tuple[str, str], np.ndarray] = {}

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        return {h: self._data[(model_id, h)] for h in hashes if (model_id, h) in self._data}

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        for h, v in items.items():
            self._data[(model_id, h)] = v
        if self.max_items is not None:
            while len(self._data) > self.max_items:
                del self._data[next(iter(self._data))]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class CachedEmbedder:
    """An ``Embedder`` that asks ``cache`` first and embeds only what it misses."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.model_id = embedder.model_id
        self.dim = embedder.dim

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        hashes = [text_hash(t) for t in texts]
        unique = list(dict.fromkeys(hashes))
        found = self.cache.get_many(self.model_id, unique)
        missing = [h for h in unique if h not in found]
        if missing:
            first_text = {}
            for h, t in zip(hashes, texts, strict=True):
                first_text.setdefault(h, t)
            vectors = self.embedder.encode(
                [first_text[h] for h in missing], batch_size=batch_size, show_progress=show_progress
            )
            new = dict(zip(missing, vectors, strict=True))
            self.cache.put_many(self.model_id, new)
            found.update(new)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)

    def __getattr__(self, name):  # expose the wrapped model (e.g. ``.model`` for BERTopic)
        return getattr(self.embedder, name)
