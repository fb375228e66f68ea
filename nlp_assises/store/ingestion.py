"""Ingestion: records cleaned, pseudonymised and stored once per submission."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from nlp_assises.cleaning import Cleaner
from nlp_assises.errors import ConfigurationError
from nlp_assises.records import Record
from nlp_assises.scheme import Scheme
from nlp_assises.store import models as m
from nlp_assises.store.db import insert_ignoring_conflicts
from nlp_assises.store.rows import _IN_CHUNK, _chunks, _contribution_row, _id_taken


@dataclass
class IngestReport:
    new: int = 0
    duplicate: int = 0
    rejected: list[dict] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

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
            self._store_batch(candidates, cleaned_rows, report, seen)
            if progress:
                progress(len(batch))
        return report

    def ingest_cleaned(
        self,
        records: Sequence[Record],
        rows: Sequence[dict],
        report: IngestReport,
        seen: set[str],
    ) -> None:
        """Store records another process cleaned (``rows[i]`` is ``records[i]``'s contribution
        row, as :func:`~nlp_assises.store.rows._contribution_row` makes it), with the same
        duplicate and id rules as :meth:`ingest`; ``report`` and ``seen`` (the submission keys
        met so far) carry over from one call to the next, as from one batch to the next."""
        row_of = {id(record): row for record, row in zip(records, rows, strict=True)}
        self._store_batch(list(records), lambda fresh: [row_of[id(r)] for r in fresh], report, seen)

    def _store_batch(
        self,
        candidates: list[Record],
        rows_for: Callable[[list[Record]], list[dict]],
        report: IngestReport,
        seen: set[str],
    ) -> None:
        """One transaction: the candidates not stored yet (by submission key) get their rows
        from ``rows_for`` (cleaning happens there) and are inserted; an id holding another text
        is a rejection."""
        keys = {r.submission_key for r in candidates}
        with self.session() as session:
            existing = set()
            for chunk in _chunks(sorted(keys), _IN_CHUNK):
                existing |= set(
                    session.scalars(
                        select(m.Contribution.submission_key).where(
                            m.Contribution.submission_key.in_(chunk)
                        )
                    )
                )
            fresh = []
            for record in candidates:
                digest = record.submission_key
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
                statement = insert_ignoring_conflicts(session.connection(), m.Contribution)
                inserted = set(session.scalars(statement.returning(m.Contribution.id), rows))
            lost = [r for r in kept if r.id not in inserted]
            if lost:
                stored = set()
                for chunk in _chunks([r.submission_key for r in lost], _IN_CHUNK):
                    stored |= set(
                        session.scalars(
                            select(m.Contribution.submission_key).where(
                                m.Contribution.submission_key.in_(chunk)
                            )
                        )
                    )
                for record in lost:
                    if record.submission_key in stored:
                        report.duplicate += 1
                    else:
                        report.rejected.append(_id_taken(record))
            report.new += len(inserted)
            report.ids += [row["id"] for row in rows if row["id"] in inserted]

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
