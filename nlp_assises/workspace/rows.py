"""Lists of contributions a page at a time: the review queue, searches, corrections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlp_assises import privacy
from nlp_assises.corrections import KINDS
from nlp_assises.workspace.common import MAX_SIMILAR, PAGE_SIZE, Pager, as_date, bounded


@dataclass
class Row:
    """A contribution in a list: its text (cut), date, main theme."""

    id: str
    text: str
    date: date | None
    primary: str | None
    labels: list[str]
    score: float | None = None
    needs_review: bool | None = None


def snippet(text: str, around: str | None = None, cut: int = 600) -> str:
    """At most ``cut`` characters of ``text``, showing where ``around`` first appears."""
    if len(text) <= cut:
        return text
    at = text.lower().find(around.lower()) if around else -1
    start = 0 if at < cut - len(around or "") - 100 else max(0, at - cut // 3)
    body = text[start : start + cut]
    return ("…" if start else "") + body + ("…" if start + cut < len(text) else "")


def _row(
    contribution,
    decision,
    role: str | None,
    score: float | None = None,
    around: str | None = None,
) -> Row:
    text = snippet(privacy.text_view(contribution.text, contribution.repairs, role), around)
    return Row(
        id=contribution.id,
        text=text,
        date=as_date(contribution.date),
        primary=decision.primary if decision else None,
        labels=list(decision.labels or []) if decision else [],
        score=score,
        needs_review=decision.needs_review if decision else None,
    )


@dataclass
class RowPage:
    pager: Pager
    rows: list[Row]


def review_queue(
    store, *, offset: int = 0, limit: int = PAGE_SIZE, role: str | None = None
) -> RowPage:
    offset, limit = bounded(offset, limit)
    total, rows = store.review_queue(offset=offset, limit=limit)
    return RowPage(Pager(total, offset, limit), [_row(c, k, role) for c, k in rows])


def search(
    pipeline,
    q: str | None,
    *,
    mode: str = "keyword",
    like: str | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    role: str | None = None,
) -> RowPage:
    """Words (a page of every match) or meaning / contributions like one (the closest ones).
    Words match only what ``role`` sees (the pseudonymised text): a name cannot be probed."""
    offset, limit = bounded(offset, limit)
    q = (q or "").strip() or None
    if like is None and q is None:
        return RowPage(Pager(0, 0, limit), [])
    if like is None and mode == "keyword":
        # No exact total: counting the matches reads every contribution; one more row tells
        # whether there is a next page.
        _, rows = pipeline.store.search(q=q, offset=offset, limit=limit + 1, count=False)
        more = len(rows) > limit
        total = offset + min(len(rows), limit) + (1 if more else 0)
        rows = rows[:limit]
        shown = [_row(c, k, role, around=q) for c, k in rows]
        if not privacy.sees_personal_data(role):
            shown = [r for r in shown if privacy.visible_match(r.text, q)]
        return RowPage(Pager(total, offset, limit, exact=not more), shown)
    hits = pipeline.search(q, like=like, mode="semantic", limit=min(offset + limit, MAX_SIMILAR))[
        offset:
    ]
    found = {c.id: c for c in pipeline.store.contributions([h["id"] for h in hits])}
    decisions = pipeline.store.latest_classifications_for(list(found))
    rows = [
        _row(found[h["id"]], decisions.get(h["id"]), role, h["score"])
        for h in hits
        if h["id"] in found
    ]
    total = offset + len(rows) + (limit if len(rows) == limit and offset + limit < 200 else 0)
    return RowPage(Pager(total, offset, limit), rows)


def describe(correction, role: str | None = None) -> dict:
    """A correction as the history table shows it (its texts as ``role`` may see them)."""
    payload = privacy.correction_payload(correction.payload or {}, role)
    kind = correction.kind
    if kind == "merge_proposals":
        detail = "avec " + ", ".join(payload.get("sources") or [])
    elif kind == "split_proposal":
        moved = len(payload.get("contribution_ids") or [])
        detail = f"« {payload.get('label')} » ({moved} contributions)"
    elif kind in ("move_contribution", "confirm_review"):
        detail = ", ".join(payload.get("themes") or [])
    elif kind == "rename_proposal":
        detail = f"« {payload.get('label')} »"
    else:
        detail = f"« {payload.get('text', '')} »"
    return {
        "id": correction.id,
        "kind": correction.kind,
        "what": KINDS.get(correction.kind, correction.kind),
        "target": correction.target,
        "detail": detail,
        "author": correction.author,
        "when": correction.created_at,
    }


def corrections(
    store, *, offset: int = 0, limit: int = PAGE_SIZE, role: str | None = None
) -> tuple[Pager, list[dict]]:
    offset, limit = bounded(offset, limit)
    total, rows = store.corrections_page(offset=offset, limit=limit)
    return Pager(total, offset, limit), [describe(c, role) for c in rows]
