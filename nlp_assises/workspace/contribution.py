"""One contribution: its text with the repairs shown, its themes, proposals and corrections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from nlp_assises import privacy
from nlp_assises.scheme import Scheme
from nlp_assises.workspace.common import as_date
from nlp_assises.workspace.proposals import ProposalCard, proposal_cards
from nlp_assises.workspace.rows import describe


@dataclass
class Segment:
    text: str
    kind: str | None = None  # the repair's kind, None for untouched text
    before: str | None = None  # what was there (withheld for pseudonyms unless admin)


def highlight_repairs(original: str, text: str, repairs: list[dict]) -> list[Segment] | None:
    """The cleaned text cut into untouched and repaired segments, by replaying the repairs on
    the original; None when the replay does not give the cleaned text back."""
    current = original
    spans: list[tuple[int, int, dict]] = []  # (start, end, repair) in ``current``
    shift = 0
    previous: dict | None = None
    for repair in repairs:
        before, after, start = (
            repair.get("before") or "",
            repair.get("after") or "",
            repair.get("start") or 0,
        )
        # Within one cleaning step offsets refer to the text before the step: add the shift of
        # the step's earlier repairs.
        same_step = (
            previous is not None
            and previous.get("kind") == repair.get("kind")
            and start > previous.get("start", 0)
        )
        shift = shift if same_step else 0
        candidates = [start + shift, start] if same_step else [start]
        at = next((c for c in candidates if current[c : c + len(before)] == before), None)
        if at is None:
            at = _nearest(current, before, start)
        if at is None:
            return None
        delta = len(after) - len(before)
        current = current[:at] + after + current[at + len(before) :]
        moved = []
        for s, e, r in spans:
            if e <= at:
                moved.append((s, e, r))
            elif s >= at + len(before):
                moved.append((s + delta, e + delta, r))
            # spans overlapping the replaced text are superseded by this repair
        if after.strip():  # deletions and spacing are listed, not highlighted
            moved.append((at, at + len(after), repair))
        spans = sorted(moved, key=lambda x: x[0])
        shift += delta
        previous = repair
    if current != text:
        return None
    segments: list[Segment] = []
    cursor = 0
    for s, e, r in spans:
        if s < cursor:
            continue
        if s > cursor:
            segments.append(Segment(text[cursor:s]))
        segments.append(Segment(text[s:e], r.get("kind"), r.get("before")))
        cursor = e
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def _nearest(text: str, needle: str, around: int) -> int | None:
    if not needle:
        return min(max(0, around), len(text))
    hits = []
    at = text.find(needle)
    while at >= 0:
        hits.append(at)
        at = text.find(needle, at + 1)
    return min(hits, key=lambda h: abs(h - around)) if hits else None


REPAIR_KINDS = {
    "mojibake": "encodage",
    "invalid_unicode": "caractères invalides",
    "html": "HTML",
    "pdf_accent": "accent PDF",
    "invisible_char": "caractère invisible",
    "hyphenation": "césure",
    "line_break": "saut de ligne",
    "quoted_reply": "réponse citée",
    "forward_header": "en-tête de transfert",
    "sent_from": "« envoyé de »",
    "signature": "signature",
    "disclaimer": "mention légale",
    "whitespace": "espaces",
    "space": "espaces",
    "pseudonym": "pseudonyme",
}


@dataclass
class ThemeScore:
    id: str
    label: str
    score: float
    retained: bool


@dataclass
class ContributionView:
    id: str
    date: date | None
    source: str | None
    channel: str | None
    language: str
    flags: list[str]
    campaign_id: str | None
    text: str
    segments: list[Segment] | None
    repairs: list[dict]
    original: str | None  # admins only
    scores: list[ThemeScore]
    primary: str | None
    needs_review: bool
    model_version: str | None
    proposals: list[ProposalCard]
    writer_themes: list[str] | None
    corrections: list[dict] = field(default_factory=list)

    @property
    def retained(self) -> list[str]:
        """The themes the classifier retained."""
        return [s.id for s in self.scores if s.retained]


def _segments_for(segments: list[Segment], repairs: list[dict], shown: list[dict], values):
    """The highlighted text below admin: each piece scrubbed, and a repair's ``before`` only
    where the policy shows that repair's."""
    visible = {
        (r.get("kind"), r.get("before"), r.get("after"))
        for r, v in zip(repairs, shown, strict=True)
        if v.get("before") is not None
    }
    return [
        Segment(
            values.scrub(s.text),
            s.kind,
            s.before if (s.kind, s.before, s.text) in visible else None,
        )
        for s in segments
    ]


def contribution_view(
    store,
    scheme: Scheme,
    contribution_id: str,
    *,
    role: str | None = None,
    admin: bool = False,
) -> ContributionView | None:
    """One contribution as ``role`` may see it (``admin=True`` is ``role="admin"``)."""
    role = privacy.ADMIN if admin else role
    contribution = store.get(contribution_id)
    if contribution is None:
        return None
    decision = store.latest_classifications_for([contribution_id]).get(contribution_id)
    raw = list(contribution.repairs or [])
    shown = privacy.contribution_view(contribution, role)
    repairs = shown["repairs"]
    segments = highlight_repairs(contribution.original, contribution.text, raw)
    if segments is not None and not privacy.sees_personal_data(role):
        segments = _segments_for(segments, raw, repairs, privacy.PersonalValues.of(raw))
    scores = []
    if decision is not None:
        for theme in scheme.themes:
            scores.append(
                ThemeScore(
                    theme.id,
                    theme.label,
                    float(decision.scores.get(theme.id, 0.0)),
                    theme.id in (decision.labels or []),
                )
            )
    _, corrections = store.corrections_page(target=contribution_id, limit=20)
    writer_themes = next(
        (
            c.payload["themes"]
            for c in corrections
            if c.kind in ("move_contribution", "confirm_review")
        ),
        None,
    )
    return ContributionView(
        id=contribution.id,
        date=as_date(contribution.date),
        source=contribution.source,
        channel=contribution.channel,
        language=contribution.language,
        flags=list(contribution.flags or []),
        campaign_id=contribution.campaign_id,
        text=shown["text"],
        segments=segments,
        repairs=repairs,
        original=shown["original"],
        scores=scores,
        primary=decision.primary if decision else None,
        needs_review=bool(decision.needs_review) if decision else False,
        model_version=decision.model_version if decision else None,
        proposals=proposal_cards(
            store.current_clusters(ids=store.clusters_of(contribution_id)), role, store
        ),
        writer_themes=writer_themes,
        corrections=[describe(c, role) for c in corrections],
    )
