"""The audit trail: every change the cleaner makes is a ``Repair``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Repair:
    """``start`` is the offset of ``before`` in the text as it was when this step ran.

    Repairs are listed in the order they were applied, so replaying them one by one on the
    original gives the cleaned text.
    """

    kind: str
    before: str
    after: str
    start: int

    def to_dict(self) -> dict:
        return asdict(self)


def substitute(
    pattern: re.Pattern[str],
    text: str,
    kind: str,
    replace: Callable[[re.Match[str]], str | None],
) -> tuple[str, list[Repair]]:
    """``re.sub`` that records a repair for each match whose replacement differs.

    ``replace`` may return ``None`` to leave a match alone.
    """
    pieces: list[str] = []
    repairs: list[Repair] = []
    last = 0
    for match in pattern.finditer(text):
        new = replace(match)
        if new is None or new == match.group(0):
            continue
        pieces.append(text[last : match.start()])
        pieces.append(new)
        repairs.append(Repair(kind, match.group(0), new, match.start()))
        last = match.end()
    if not repairs:
        return text, []
    pieces.append(text[last:])
    return "".join(pieces), repairs
