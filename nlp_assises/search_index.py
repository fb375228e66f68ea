"""An in-memory index of every stored contribution's embedding, for semantic search and
"contributions like this one" without encoding the whole store on each query.

Contributions are only ever added to the store, never edited, so the index grows: a refresh
encodes the contributions it has not seen yet (through the embedder's cache when it has one).
100,000 contributions with the default 300-dimension embedder take about 120 MB.
"""

from __future__ import annotations

import threading

import numpy as np

from nlp_assises.embedding.base import Embedder


class VectorIndex:
    """Unit vectors of stored contributions, searched by cosine similarity.

    >>> index = VectorIndex(embedder)            # doctest: +SKIP
    >>> index.refresh(store)                      # encodes what it has not seen
    >>> index.search(embedder.encode(["plus de patrouilles"])[0], limit=5)
    """

    def __init__(self, embedder: Embedder, *, batch_size: int = 2048) -> None:
        self.embedder = embedder
        self.batch_size = batch_size
        self.ids: list[str] = []
        self._position: dict[str, int] = {}
        self._blocks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def refresh(self, store) -> int:
        """Add the contributions stored since the last refresh; returns how many were added."""
        if store.count() == len(self.ids):  # append-only: same count, same contributions
            return 0
        with self._lock:
            missing = [i for i in store.contribution_ids() if i not in self._position]
            for start in range(0, len(missing), self.batch_size):
                chunk = store.contributions(missing[start : start + self.batch_size])
                vectors = np.asarray(self.embedder.encode([c.text for c in chunk]), np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                vectors /= np.where(norms == 0, 1.0, norms)
                for contribution in chunk:
                    self._position[contribution.id] = len(self.ids)
                    self.ids.append(contribution.id)
                self._blocks.append(vectors)
                self._matrix = None
            return len(missing)

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            with self._lock:
                blocks = self._blocks or [np.zeros((0, 1), np.float32)]
                self._matrix = np.vstack(blocks) if len(blocks) > 1 else blocks[0]
                self._blocks = [self._matrix] if self._blocks else []
        return self._matrix

    def vector_of(self, contribution_id: str) -> np.ndarray | None:
        position = self._position.get(contribution_id)
        return None if position is None else self.matrix[position]

    def search(
        self, vector: np.ndarray, *, limit: int = 20, exclude: str | None = None
    ) -> list[tuple[str, float]]:
        """The ``limit`` closest contributions to ``vector`` as (id, cosine), best first."""
        matrix = self.matrix
        if not len(self.ids):
            return []
        vector = np.asarray(vector, np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        scores = matrix @ vector
        k = min(len(scores), limit + 1)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = [(self.ids[i], float(scores[i])) for i in top if self.ids[i] != exclude]
        return hits[:limit]
