"""The consultation at a glance: counts, themes, channels and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nlp_assises.scheme import Scheme
from nlp_assises.stats import consultation_stats
from nlp_assises.workspace.common import Bar, bars


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
    themes = bars(
        [(t.label, stats.by_theme.get(t.id, 0), f"/themes/{t.id}") for t in scheme.themes],
        stats.total,
    )
    channels = bars(
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
