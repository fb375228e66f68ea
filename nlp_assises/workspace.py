"""What the writers' pages show, assembled from the store as plain dataclasses.

The service renders these; a notebook can print them. Every function reads a bounded amount:
aggregates are computed by the database and lists come a page at a time, so the pages stay fast
with 100,000 contributions in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from nlp_assises import privacy
from nlp_assises.corrections import KINDS
from nlp_assises.scheme import HORS_THEME, Scheme
from nlp_assises.stats import consultation_stats

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SIMILAR = 200  # searches by meaning list the closest ones only


@dataclass
class Pager:
    total: int
    offset: int
    limit: int
    exact: bool = True  # False: there are at least ``total`` (searches do not count them all)

    @property
    def first(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.limit)

    @property
    def previous(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def bounded(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), min(max(1, limit), MAX_PAGE_SIZE)


@dataclass
class Bar:
    """One bar of a chart: a label, a value and its share of the whole (0..1)."""

    label: str
    value: int
    share: float
    href: str | None = None


def _bars(items: list[tuple[str, int, str | None]], whole: int | None = None) -> list[Bar]:
    whole = whole if whole is not None else sum(v for _, v, _ in items)
    return [
        Bar(label, value, round(value / whole, 4) if whole else 0.0, href)
        for label, value, href in items
    ]


# -- overview ------------------------------------------------------------------------------
@dataclass
class Overview:
    total: int
    hors_theme: int
    needs_review: int
    repaired: int
    pseudonymized: int
    not_french: int
    in_campaigns: int
    campaigns: int
    first_date: date | None
    last_date: date | None
    themes: list[Bar]
    channels: list[Bar]
    timeline: list[Bar]
    timeline_unit: str  # "jour", "semaine" or "mois"
    non_answers: int = 0  # answers with nothing in them (RAS, voir ci-dessus…)


CHANNELS = {"email": "Courriel", "pdf": "Courrier (PDF)", "csv": "Formulaire", "autre": "Autre"}


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def _timeline(weeks: dict[str, int]) -> tuple[list[Bar], str]:
    """Contributions per week (keyed by the ISO date of its Monday), or per month when that
    would make more than about 30 bars."""
    parsed = sorted((date.fromisoformat(d), n) for d, n in weeks.items())
    if not parsed:
        return [], "semaine"
    if len(parsed) <= 30:
        unit = "semaine"

        def key(d: date) -> str:
            year, week, _ = d.isocalendar()
            return f"S{week:02d} {year}"
    else:
        unit, key = "mois", lambda d: d.strftime("%m/%Y")
    buckets: dict[str, int] = {}
    for d, n in parsed:
        buckets[key(d)] = buckets.get(key(d), 0) + n
    peak = max(buckets.values())
    return [Bar(k, v, round(v / peak, 4)) for k, v in buckets.items()], unit


def overview(store, scheme: Scheme) -> Overview:
    stats = consultation_stats(store, scheme)
    themes = _bars(
        [(t.label, stats.by_theme.get(t.id, 0), f"/themes/{t.id}") for t in scheme.themes],
        stats.total,
    )
    channels = _bars(
        [(CHANNELS.get(k, k), v, None) for k, v in stats.by_channel.items()], stats.total
    )
    timeline, unit = _timeline(stats.by_week)
    return Overview(
        total=stats.total,
        hors_theme=stats.hors_theme,
        needs_review=stats.needs_review,
        repaired=stats.repaired,
        pseudonymized=stats.pseudonymized,
        not_french=stats.not_french,
        in_campaigns=stats.in_campaigns,
        campaigns=stats.campaigns,
        first_date=stats.first_date,
        last_date=stats.last_date,
        themes=themes,
        channels=channels,
        timeline=timeline,
        timeline_unit=unit,
        non_answers=stats.non_answers,
    )


# -- a theme and its proposals ---------------------------------------------------------------
@dataclass
class ProposalCard:
    id: str
    theme: str
    label: str
    keywords: list[str]
    size: int
    people: int
    campaign_copies: int
    share: float
    quotes: list[dict]

    @property
    def campaign(self) -> bool:
        """Mostly copies of copy-paste campaigns: shown apart, as one voice each."""
        return self.campaign_copies * 2 >= self.size > 0


def _cards(clusters, role: str | None, store) -> list[ProposalCard]:
    """Proposals as ``role`` may see them (label, keywords and quotes through the policy)."""
    shown = privacy.clusters_view(clusters, role, privacy.store_repairs(store))
    return [_card(c, s) for c, s in zip(clusters, shown, strict=True)]


def _card(cluster, shown: dict) -> ProposalCard:
    return ProposalCard(
        id=cluster.id,
        theme=cluster.theme,
        label=shown["label"],
        keywords=list(shown["keywords"]),
        size=cluster.size,
        people=cluster.people,
        campaign_copies=cluster.campaign_copies,
        share=cluster.share,
        quotes=shown["quotes"],
    )


@dataclass
class ThemeView:
    id: str
    label: str
    description: str
    contributions: int
    share: float
    proposals: list[ProposalCard]
    campaigns: list[ProposalCard]
    findings: list[str]
    chart: list[Bar]


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %".replace(".", ",")


def theme_view(
    store, scheme: Scheme, theme_id: str, *, role: str | None = None
) -> ThemeView | None:
    theme = next((t for t in scheme.themes if t.id == theme_id), None)
    if theme is None:
        return None
    stats = consultation_stats(store, scheme)
    in_theme = stats.by_theme.get(theme_id, 0)
    cards = _cards(store.current_clusters(theme_id), role, store)
    proposals = [c for c in cards if not c.campaign]
    campaigns = [c for c in cards if c.campaign]
    share = stats.theme_share(theme_id)
    findings = [f"{in_theme} contributions relèvent de ce thème ({_pct(share)} du total)."]
    if proposals:
        top = proposals[0]
        findings.append(
            f"La proposition la plus partagée, « {top.label} », est portée par "
            f"{top.people} personnes ({_pct(top.share)} des contributions du thème)."
        )
        covered = sum(p.share for p in proposals[:3])
        findings.append(
            f"{len(proposals)} propositions émergent ; les trois premières rassemblent "
            f"{_pct(min(1.0, covered))} des contributions du thème."
        )
    if campaigns:
        copies = sum(c.size for c in campaigns)
        findings.append(
            f"{len(campaigns)} proposition(s) viennent surtout de campagnes de copier-coller "
            f"({copies} contributions, comptées comme une voix par campagne)."
        )
    peak = max((p.people for p in proposals), default=0)
    chart = [
        Bar(p.label, p.people, round(p.people / peak, 4) if peak else 0.0, f"/propositions/{p.id}")
        for p in proposals[:10]
    ]
    return ThemeView(
        id=theme.id,
        label=theme.label,
        description=theme.description,
        contributions=in_theme,
        share=share,
        proposals=proposals,
        campaigns=campaigns,
        findings=findings,
        chart=chart,
    )


# -- a proposal and its contributions --------------------------------------------------------
@dataclass
class Unit:
    """A proposal sentence of a contribution: where it is, and whether it is a picked quote."""

    text: str
    start: int
    picked: bool = False


@dataclass
class MemberView:
    id: str
    date: date | None
    channel: str | None
    campaign_id: str | None
    parts: list[tuple[str, bool]]  # the text cut into (piece, is a proposal sentence)
    units: list[Unit]


@dataclass
class ProposalView:
    proposal: ProposalCard
    theme_label: str
    pager: Pager
    members: list[MemberView]
    siblings: list[tuple[str, str]]  # other proposals of the theme, for merging


def locate(text: str, span: str, start: int | None) -> int | None:
    """Where the proposal sentence ``span`` is in ``text`` (its offset, or found again)."""
    start = start or 0
    if text[start : start + len(span)] == span:
        return start
    found = text.find(span)
    return found if found >= 0 else None


def cut_around(text: str, units: list[Unit]) -> list[tuple[str, bool]]:
    """``text`` as pieces, the proposal sentences flagged (overlaps are merged)."""
    parts: list[tuple[str, bool]] = []
    cursor = 0
    for unit in sorted(units, key=lambda u: u.start):
        start, end = max(unit.start, cursor), unit.start + len(unit.text)
        if end <= cursor:
            continue
        if start > cursor:
            parts.append((text[cursor:start], False))
        parts.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        parts.append((text[cursor:], False))
    return parts


def proposal_view(
    store,
    scheme: Scheme,
    proposal_id: str,
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    role: str | None = None,
) -> ProposalView | None:
    found = store.current_clusters(ids=[proposal_id])
    if not found:
        return None
    (card,) = _cards(found[:1], role, store)
    offset, limit = bounded(offset, limit)
    total, rows = store.cluster_page(proposal_id, offset=offset, limit=limit)
    picked = {(q["contribution_id"], q["text"]) for q in card.quotes if q.get("picked")}
    members = []
    for contribution, rows_of in rows:
        units = []
        for member in rows_of:
            if not member.unit_text:
                continue
            at = locate(contribution.text, member.unit_text, member.unit_start)
            if at is not None:
                picked_now = (contribution.id, member.unit_text) in picked
                units.append(Unit(member.unit_text, at, picked_now))
        parts = cut_around(contribution.text, units)
        if not privacy.sees_personal_data(role):
            values = privacy.PersonalValues.of(contribution.repairs)
            parts = [(values.scrub(piece), flag) for piece, flag in parts]
            units = [Unit(values.scrub(u.text), u.start, u.picked) for u in units]
        members.append(
            MemberView(
                id=contribution.id,
                date=_day(contribution.date),
                channel=contribution.channel,
                campaign_id=contribution.campaign_id,
                parts=parts,
                units=units,
            )
        )
    siblings = [
        (c.id, privacy.derived_text(c.label, role))
        for c in store.current_clusters(card.theme)
        if c.id != card.id
    ]
    return ProposalView(
        proposal=card,
        theme_label=_label(scheme, card.theme),
        pager=Pager(total, offset, limit),
        members=members,
        siblings=siblings,
    )


def _label(scheme: Scheme, theme_id: str) -> str:
    if theme_id == HORS_THEME:
        return "Hors thème"
    return next((t.label for t in scheme.themes if t.id == theme_id), theme_id)


# -- one contribution ------------------------------------------------------------------------
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
        date=_day(contribution.date),
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
        proposals=_cards(
            store.current_clusters(ids=store.clusters_of(contribution_id)), role, store
        ),
        writer_themes=writer_themes,
        corrections=[describe(c, role) for c in corrections],
    )


# -- review queue, search, corrections -------------------------------------------------------
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
        date=_day(contribution.date),
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
