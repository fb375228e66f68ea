"""The store: contributions and everything computed about them, behind one small API.

Writes are transactional in batches: a crash loses at most the batch in flight, never half a
record, and what was committed stays committed. ``Store`` is one class made of one part per
table group (ingestion, contributions, clusters, corrections, runs), each in its own module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nlp_assises.store.clusters import ClustersMixin
from nlp_assises.store.contributions import ContributionsMixin
from nlp_assises.store.corrections import CorrectionsMixin
from nlp_assises.store.db import (
    check_reachable,
    lock_for_write,
    make_engine,
    session_factory,
    upgrade,
)
from nlp_assises.store.ingestion import IngestMixin, IngestReport
from nlp_assises.store.rows import pseudonymize_author
from nlp_assises.store.runs import RunsMixin

__all__ = ["IngestReport", "Store", "pseudonymize_author"]


class Store(IngestMixin, ContributionsMixin, ClustersMixin, CorrectionsMixin, RunsMixin):
    """Opens (and migrates) the database at ``url``."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        else:
            check_reachable(self.engine)
        self._sessions = session_factory(self.engine)
        self._memo: dict[str, tuple] = {}
        # The installation's pseudonym secret, for authors (set by ``from_settings``).
        self.pseudonym_secret: str | None = None

    @classmethod
    def from_settings(cls, settings) -> Store:
        store = cls(settings.resolved_database_url)
        store.pseudonym_secret = settings.resolved_pseudonym_secret
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session holding the store's write lock from its first statement: for
        read-modify-write transactions, which must read what a concurrent writer committed
        rather than overwrite it (see :func:`~nlp_assises.store.db.lock_for_write`)."""
        with self._sessions() as session, session.begin():
            lock_for_write(session.connection())
            yield session
