"""The embedding cache in the store: vectors keyed by (model id, text hash)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp_assises.store import models as m
from nlp_assises.store.db import insert_ignoring_conflicts


class SQLEmbeddingCache:
    def __init__(self, store) -> None:
        self.store = store

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self.store.session() as session:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                rows = session.execute(
                    select(m.Embedding.text_hash, m.Embedding.vector).where(
                        m.Embedding.model_id == model_id, m.Embedding.text_hash.in_(chunk)
                    )
                )
                for text_hash, blob in rows:
                    found[text_hash] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        with self.store.session() as session:
            insert_vectors(session, model_id, list(items), list(items.values()))


def insert_vectors(session: Session, model_id: str, hashes: Sequence[str], vectors) -> None:
    """Vectors (one a text hash; a matrix or a list of rows) into the cache, in ``session``'s
    transaction. Another process may cache the same text at once: first one wins, same vector."""
    if not len(hashes):
        return
    rows = [
        {
            "model_id": model_id,
            "text_hash": h,
            "dim": int(v.shape[0]),
            "vector": np.asarray(v, dtype=np.float32).tobytes(),
        }
        for h, v in zip(hashes, vectors, strict=True)
    ]
    table = m.Embedding.__table__
    session.connection().execute(insert_ignoring_conflicts(session.connection(), table), rows)
