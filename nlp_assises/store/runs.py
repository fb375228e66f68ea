"""Model versions and pipeline runs: what ran, with which models, how it ended."""

from __future__ import annotations

from datetime import UTC, datetime

from nlp_assises.store import models as m
from nlp_assises.store.db import insert_ignoring_conflicts


class RunsMixin:
    """The ``Store`` methods over the model versions and pipeline runs tables."""

    def record_model(self, kind: str, version: str, path: str, card: dict) -> None:
        with self.session() as session:  # a version already recorded is kept as it is
            statement = insert_ignoring_conflicts(session.connection(), m.ModelVersion)
            session.execute(statement.values(kind=kind, version=version, path=path, card=card))

    def start_run(self, kind: str) -> int:
        with self.session() as session:
            run = m.PipelineRun(kind=kind)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self, run_id: int, *, stats: dict | None = None, error: str | None = None
    ) -> None:
        with self.session() as session:
            run = session.get(m.PipelineRun, run_id)
            run.status = "failed" if error else "done"
            run.finished_at = datetime.now(UTC)
            run.stats = stats or {}
            run.error = error
