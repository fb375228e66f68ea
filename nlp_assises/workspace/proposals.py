"""A theme's proposals and one proposal with its members, as the writers' pages show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from nlp_assises import privacy
from nlp_assises.scheme import Scheme
from nlp_assises.stats import consultation_stats, pct
from nlp_assises.workspace.common import PAGE_SIZE, Bar, Pager, as_date, bounded, theme_name


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
    sub_proposals: list[dict] = field(default_factory=list)  # its main variants

    @property
    def campaign(self) -> bool:
        """Mostly copies of copy-paste campaigns: shown apart, as one voice each."""
        return self.campaign_copies * 2 >= self.size > 0


def proposal_cards(clusters, role: str | None, store) -> list[ProposalCard]:
    """Proposals as ``role`` may see them (label, keywords and quotes through the policy)."""
    shown = privacy.clusters_view(clusters, role, privacy.store_repairs(store))
    return [proposal_card(c, s) for c, s in zip(clusters, shown, strict=True)]


def proposal_card(cluster, shown: dict) -> ProposalCard:
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
        sub_proposals=shown["sub_proposals"],
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


def theme_view(
    store, scheme: Scheme, theme_id: str, *, role: str | None = None
) -> ThemeView | None:
    theme = next((t for t in scheme.themes if t.id == theme_id), None)
    if theme is None:
        return None
    stats = consultation_stats(store, scheme)
    in_theme = stats.by_theme.get(theme_id, 0)
    cards = proposal_cards(store.current_clusters(theme_id), role, store)
    proposals = [c for c in cards if not c.campaign]
    campaigns = [c for c in cards if c.campaign]
    share = stats.theme_share(theme_id)
    findings = [f"{in_theme} contributions relèvent de ce thème ({pct(share)} du total)."]
    if proposals:
        top = proposals[0]
        findings.append(
            f"La proposition la plus partagée, « {top.label} », est portée par "
            f"{top.people} personnes ({pct(top.share)} des contributions du thème)."
        )
        covered = sum(p.share for p in proposals[:3])
        findings.append(
            f"{len(proposals)} propositions émergent ; les trois premières rassemblent "
            f"{pct(min(1.0, covered))} des contributions du thème."
        )
    unplaced = stats.in_no_proposal_line(theme_id)
    if unplaced:
        findings.append(unplaced)
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
    (card,) = proposal_cards(found[:1], role, store)
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
                date=as_date(contribution.date),
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
        theme_label=theme_name(scheme, card.theme),
        pager=Pager(total, offset, limit),
        members=members,
        siblings=siblings,
    )
