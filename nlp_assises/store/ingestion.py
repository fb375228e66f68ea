"""Ingestion: records cleaned, pseudonymised and stored once per submission."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp_assises.cleaning import Cleaner
from nlp_assises.errors import ConfigurationError
from nlp_assises.records import Record
from nlp_assises.scheme import Scheme
from nlp_assises.store import models as m
from nlp_assises.store.contributions import insert_classifications
from nlp_assises.store.db import insert_ignoring_conflicts
from nlp_assises.store.embedding_cache import insert_vectors
from nlp_assises.store.rows import _IN_CHUNK, _chunks, _contribution_row, _id_taken


@dataclass
class IngestReport:
    new: int = 0
    duplicate: int = 0
    rejected: list[dict] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # stored by ``ingest`` (not ``ingest_cleaned``)

    def to_dict(self) -> dict:
        return {
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": len(self.rejected),
            "rejections": self.rejected,
        }


class IngestMixin:
    """``Store.ingest``."""

    def ingest(
        self,
        records: Sequence[Record],
        cleaner: Cleaner,
        *,
        scheme: Scheme | None = None,
        pseudonym_secret: str | None = None,
        batch_size: int = 100,
        run_id: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Clean and store ``records``; the same submission twice is stored once. Authors are
        hashed with ``pseudonym_secret``, by default the installation's (``from_settings``)."""
        pseudonym_secret = pseudonym_secret or self.pseudonym_secret
        if pseudonym_secret is None and any(r.author for r in records):
            raise ConfigurationError(
                "authors need a pseudonym secret: open the store with Store.from_settings"
            )
        report = IngestReport()
        seen: set[str] = set()

        def cleaned_rows(fresh: list[Record]) -> list[dict]:
            cleaned = cleaner.clean_many([r.text for r in fresh])
            return [
                _contribution_row(record, result, pseudonym_secret, run_id)
                for record, result in zip(fresh, cleaned, strict=True)
            ]

        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            candidates = valid_records(batch, scheme, report)
            report.ids += self._store_batch(candidates, cleaned_rows, report, seen)
            if progress:
                progress(len(batch))
        return report

    def ingest_cleaned(
        self,
        records: Sequence[Record],
        rows: Sequence[dict],
        report: IngestReport,
        *,
        classifications: Sequence[dict] = (),
        model_version: str | None = None,
        vectors: tuple[str, Sequence[str], np.ndarray] | None = None,
    ) -> list[str]:
        """Store records another process cleaned (``rows[i]`` is ``records[i]``'s contribution
        row, as :func:`~nlp_assises.store.rows._contribution_row` makes it), with the same
        duplicate and id rules as :meth:`ingest`, and, in the same transaction, the
        classifications (``{"id": ...}`` rows) and cached vectors (``(model id, text hashes,
        matrix)``, row ``i`` of each for ``rows[i]``) of the contributions it stored; returns
        their ids. Nothing is kept from one call to the next: a submission stored by an earlier
        call is found in the store, so a long run's memory stays flat."""
        row_of = {id(record): row for record, row in zip(records, rows, strict=True)}
        with self.session() as session:
            new = self._store_batch(
                list(records),
                lambda fresh: [row_of[id(r)] for r in fresh],
                report,
                set(),
                session=session,
                keys=[row["submission_key"] for row in rows],
            )
            if not new:
                return new
            stored = set(new)
            if model_version is not None:
                kept = [r for r in classifications if r["id"] in stored]
                insert_classifications(session, kept, model_version)
            if vectors is not None:
                model_id, hashes, matrix = vectors
                keep = [i for i, row in enumerate(rows) if row["id"] in stored]
                insert_vectors(session, model_id, [hashes[i] for i in keep], matrix[keep])
        return new

    def _store_batch(
        self,
        candidates: list[Record],
        rows_for: Callable[[list[Record]], list[dict]],
        report: IngestReport,
        seen: set[str],
        *,
        session: Session | None = None,
        keys: Sequence[str] | None = None,
    ) -> list[str]:
        """One transaction (``session``'s, else its own): the candidates not stored yet (by
        submission key; ``keys[i]`` is ``candidates[i]``'s when known) get their rows from
        ``rows_for`` (cleaning happens there) and are inserted; an id holding another text is a
        rejection. Returns the ids inserted."""
        if session is None:
            with self.session() as own:
                return self._store_batch(candidates, rows_for, report, seen, session=own)
        if keys is None:
            keys = [r.submission_key for r in candidates]
        key_of = {id(record): key for record, key in zip(candidates, keys, strict=True)}
        existing = set()
        for chunk in _chunks(sorted(set(keys)), _IN_CHUNK):
            existing |= set(
                session.scalars(
                    select(m.Contribution.submission_key).where(
                        m.Contribution.submission_key.in_(chunk)
                    )
                )
            )
        fresh = []
        for record in candidates:
            digest = key_of[id(record)]
            if digest in existing or digest in seen:
                report.duplicate += 1
                continue
            seen.add(digest)
            fresh.append(record)
        ids = [r.id for r in fresh]
        taken = set()
        for chunk in _chunks(ids, _IN_CHUNK):
            taken |= set(
                session.scalars(select(m.Contribution.id).where(m.Contribution.id.in_(chunk)))
            )
        rows: list[dict] = []
        kept: list[Record] = []
        for record, row in zip(fresh, rows_for(fresh), strict=True):
            if record.id in taken:
                report.rejected.append(_id_taken(record))
                continue
            taken.add(record.id)
            kept.append(record)
            rows.append(row)
        # A concurrent writer may store some of these between the reads above and
        # this insert: its rows are skipped here, then told apart below.
        inserted = set()
        if rows:
            # Core executemany of plain dicts: no ORM objects for a bulk insert.
            table = m.Contribution.__table__
            statement = insert_ignoring_conflicts(session.connection(), table)
            result = session.connection().execute(statement.returning(table.c.id), rows)
            inserted = set(result.scalars())
        lost = [r for r in kept if r.id not in inserted]
        if lost:
            stored = set()
            for chunk in _chunks([key_of[id(r)] for r in lost], _IN_CHUNK):
                stored |= set(
                    session.scalars(
                        select(m.Contribution.submission_key).where(
                            m.Contribution.submission_key.in_(chunk)
                        )
                    )
                )
            for record in lost:
                if key_of[id(record)] in stored:
                    report.duplicate += 1
                else:
                    report.rejected.append(_id_taken(record))
        report.new += len(inserted)
        return [row["id"] for row in rows if row["id"] in inserted]

    def stored_submissions(self, keys: Iterable[str]) -> set[str]:
        """Which of these submission keys are stored (a resumed run skips what it stored)."""
        found: set[str] = set()
        with self.session() as session:
            for chunk in _chunks(sorted(set(keys)), _IN_CHUNK):
                found |= set(
                    session.scalars(
                        select(m.Contribution.submission_key).where(
                            m.Contribution.submission_key.in_(chunk)
                        )
                    )
                )
        return found


def valid_records(
    batch: Iterable[Record], scheme: Scheme | None, report: IngestReport
) -> list[Record]:
    """The records worth cleaning: the others (empty text, themes outside ``scheme``) go to
    ``report.rejected``."""
    candidates: list[Record] = []
    for record in batch:
        where = record.source or record.id
        if not record.text or not record.text.strip():
            report.rejected.append({"record": where, "reason": "empty text"})
            continue
        if scheme is not None and record.themes:
            try:
                record.themes = scheme.validate_labels(record.themes)
            except Exception as exc:
                report.rejected.append({"record": where, "reason": str(exc)})
                continue
        candidates.append(record)
    return candidates
