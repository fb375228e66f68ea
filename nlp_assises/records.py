"""The record: one contribution as read from any input format."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# Characters that only change how a text looks, not what it says: ignored by the content hash so
# that the same contribution pasted twice (once with a trailing newline) is stored once.
_WHITESPACE = str.maketrans({c: " " for c in "\t\r\n\u00a0\u202f\u2007"})


def content_hash(text: str) -> str:
    """The hash that decides whether two contributions are the same text."""
    normalised = unicodedata.normalize("NFC", text).translate(_WHITESPACE)
    normalised = " ".join(normalised.split())
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def submission_key(text: str, author: str | None = None, date: datetime | None = None) -> str:
    """What makes two records the same contribution: the same text, from the same author, at the
    same date. Two people pasting one campaign text are two contributions (counted as a campaign
    later); the same e-mail read twice is one."""
    parts = [
        content_hash(text),
        " ".join((author or "").lower().split()),
        date.isoformat() if date else "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def stable_id(text: str, author: str | None = None, date: datetime | None = None) -> str:
    """An id derived from content: the same submission always gets the same id."""
    return "c-" + submission_key(text, author, date)[:16]


@dataclass
class Record:
    """``text`` is required; everything else is optional, as in the contract."""

    text: str
    id: str | None = None
    date: datetime | None = None
    source: str | None = None
    author: str | None = None
    themes: list[str] | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id is None:
            self.id = stable_id(self.text, self.author, self.date)

    @property
    def submission_key(self) -> str:
        return submission_key(self.text, self.author, self.date)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)
