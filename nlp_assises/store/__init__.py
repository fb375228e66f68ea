"""The store: SQLAlchemy 2 models, Alembic migrations, and the ``Store`` API over them."""

from nlp_assises.store.embedding_cache import SQLEmbeddingCache
from nlp_assises.store.store import IngestReport, Store, pseudonymize_author

__all__ = ["IngestReport", "SQLEmbeddingCache", "Store", "pseudonymize_author"]
