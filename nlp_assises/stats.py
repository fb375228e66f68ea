"""The consultation in numbers, computed from the store: what the overview page and the report show.

One definition of every count, so the page, the report and the tests cannot disagree. A theme's
contributions are those a writer put there, else those of the gold labels, else those the
classifier retained; "needs review" counts only what no writer has settled yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from nlp_assises.scheme import HORS_THEME, Scheme


@dataclass
class ConsultationStats:
    total: int = 0
    by_theme: dict[str, int] = field(default_factory=dict)
    hors_theme: int = 0
    unclassified: int = 0
    needs_review: int = 0
    settled_by_writers: int = 0
    repaired: int = 0
    pseudonymized: int = 0
    not_french: int = 0
    non_answers: int = 0  # "RAS", "voir ci-dessus", "pas d'avis"…: in no proposal
    # per theme, its contributions (non-answers apart) in none of its proposals; empty when
    # nothing was clustered yet
    in_no_proposal: dict[str, int] = field(default_factory=dict)
    in_campaigns: int = 0
    campaigns: int = 0
    first_date: date | None = None
    last_date: date | None = None
    by_channel: dict[str, int] = field(default_factory=dict)
    by_week: dict[str, int] = field(default_factory=dict)  # ISO date of the Monday → count
    model_versions: list[str] = field(default_factory=list)

    def theme_share(self, theme_id: str) -> float:
        return round(self.by_theme.get(theme_id, 0) / max(1, self.total), 4)

    def in_no_proposal_line(self, theme_id: str) -> str | None:
        """What a writer reads of a theme's contributions that no proposal holds (None before
        any clustering)."""
        if theme_id not in self.in_no_proposal:
            return None
        return in_no_proposal_sentence(
            self.in_no_proposal[theme_id], self.by_theme.get(theme_id, 0)
        )


def pct(value: float) -> str:
    """A share as the pages and the report write it: "17,3 %"."""
    return f"{100 * value:.1f} %".replace(".", ",")


def in_no_proposal_sentence(count: int, in_theme: int) -> str:
    """One wording for the theme page and the report: how many of a theme's contributions
    sit in none of its proposals (nothing is shown as a finding they do not support, and
    nothing is hidden either)."""
    return (
        f"{count} contributions du thème ({pct(count / max(1, in_theme))}) ne relèvent "
        "d'aucune proposition émergente : des idées isolées ou dites autrement, à lire une à une."
    )


def themes_of(
    gold: list[str] | None, predicted: list[str] | None, corrected: list[str] | None
) -> list[str] | None:
    """A contribution's themes by precedence (writer, gold, classifier): [] when it is in none
    of them, None when nothing classified it yet."""
    for labels in (corrected, gold):
        if labels:
            return [t for t in labels if t != HORS_THEME]
    if predicted is None:
        return None
    return [t for t in predicted if t != HORS_THEME]


def consultation_stats(store, scheme: Scheme) -> ConsultationStats:
    """Every count of the overview and the report, from the store (cached until it changes)."""
    return store.memo(f"stats:{scheme.name}", lambda: _compute(store, scheme))


def _compute(store, scheme: Scheme) -> ConsultationStats:
    corrected = store.theme_corrections()
    stats = ConsultationStats(by_theme={t: 0 for t in scheme.theme_ids})
    channels: Counter[str] = Counter()
    weeks: Counter[str] = Counter()
    campaigns: set[str] = set()
    versions: set[str] = set()
    dates: list[date] = []
    members = store.current_members_by_theme()
    if members is not None:
        stats.in_no_proposal = {t: 0 for t in scheme.theme_ids}
    for cid, gold, flags, campaign, channel, when, labels, review, version in store.label_rows():
        stats.total += 1
        themes = themes_of(gold, labels, corrected.get(cid))
        if themes is None:
            stats.unclassified += 1
        elif not themes:
            stats.hors_theme += 1
        flags = flags or []
        for theme in themes or []:
            if theme in stats.by_theme:
                stats.by_theme[theme] += 1
                if members is not None and "non_answer" not in flags:
                    stats.in_no_proposal[theme] += cid not in members.get(theme, ())
        if cid in corrected:
            stats.settled_by_writers += 1
        elif review and not gold:
            stats.needs_review += 1
        stats.repaired += "repaired" in flags
        stats.pseudonymized += "pseudonymized" in flags
        stats.not_french += "not_french" in flags
        stats.non_answers += "non_answer" in flags
        if campaign:
            stats.in_campaigns += 1
            campaigns.add(campaign)
        channels[channel or "autre"] += 1
        if when is not None:
            day = when.date()
            dates.append(day)
            weeks[(day - timedelta(days=day.weekday())).isoformat()] += 1
        if version:
            versions.add(version)
    stats.campaigns = len(campaigns)
    stats.first_date = min(dates) if dates else None
    stats.last_date = max(dates) if dates else None
    stats.by_channel = dict(channels.most_common())
    stats.by_week = dict(sorted(weeks.items()))
    stats.model_versions = sorted(versions)
    return stats
