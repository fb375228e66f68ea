"""Building blocks the workspace's views share: pages, chart bars, dates, theme names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from nlp_assises.scheme import HORS_THEME, Scheme

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


def bars(items: list[tuple[str, int, str | None]], whole: int | None = None) -> list[Bar]:
    whole = whole if whole is not None else sum(v for _, v, _ in items)
    return [
        Bar(label, value, round(value / whole, 4) if whole else 0.0, href)
        for label, value, href in items
    ]


def as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def theme_name(scheme: Scheme, theme_id: str) -> str:
    if theme_id == HORS_THEME:
        return "Hors thème"
    return next((t.label for t in scheme.themes if t.id == theme_id), theme_id)
