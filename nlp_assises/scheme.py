"""Theme schemes: the list of themes a consultation classifies into, read from a TOML file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from nlp_assises.errors import ConfigurationError

HORS_THEME = "hors_theme"
_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Theme:
    """``scope`` and ``examples`` are optional plain-French help for the zero-shot classifier (a
    fuller description, a few short phrases of the theme); nothing else needs them."""

    id: str
    label: str
    description: str
    scope: str = ""
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = {"id": self.id, "label": self.label, "description": self.description}
        if self.scope:
            out["scope"] = self.scope
        if self.examples:
            out["examples"] = list(self.examples)
        return out


def _phrases(value, where: str, key: str) -> tuple[str, ...]:
    """An optional list of non-empty strings (``examples``, ``off_topic``)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"{where}`{key}` must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class Scheme:
    """An ordered list of themes; ``hors_theme`` is the answer for none of them, never a theme.
    ``off_topic`` (optional) lists, as short phrases, what contributions talk about that is none of
    the themes: the zero-shot classifier's picture of ``hors_theme``."""

    name: str
    themes: tuple[Theme, ...]
    language: str = "fr"
    source: str | None = field(default=None, compare=False)
    off_topic: tuple[str, ...] = ()

    @property
    def theme_ids(self) -> list[str]:
        return [theme.id for theme in self.themes]

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def validate_labels(self, labels: list[str], *, where: str = "") -> list[str]:
        """Check a record's ``themes`` against the scheme; return them deduplicated in order."""
        known = set(self.theme_ids)
        out: list[str] = []
        for label in labels:
            if label != HORS_THEME and label not in known:
                raise ConfigurationError(
                    f"{where}unknown theme {label!r}; the scheme {self.name!r} has "
                    f"{', '.join(self.theme_ids)} (or {HORS_THEME})"
                )
            if label not in out:
                out.append(label)
        if HORS_THEME in out and len(out) > 1:
            raise ConfigurationError(f"{where}{HORS_THEME} cannot be combined with a theme")
        return out

    def to_dict(self) -> dict:
        out = {
            "name": self.name,
            "language": self.language,
            "themes": [t.to_dict() for t in self.themes],
        }
        if self.off_topic:
            out["off_topic"] = list(self.off_topic)
        return out

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> Scheme:
        where = f"{source}: " if source else ""
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"{where}a scheme needs a `name`")
        raw = data.get("themes")
        if not isinstance(raw, list) or len(raw) < 2:
            raise ConfigurationError(f"{where}a scheme needs at least two [[themes]]")
        themes = []
        for i, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                raise ConfigurationError(f"{where}theme #{i} is not a table")
            theme_id = item.get("id")
            if not isinstance(theme_id, str) or not _ID.match(theme_id):
                raise ConfigurationError(
                    f"{where}theme #{i} needs an `id` of lower-case letters, digits, - or _"
                )
            if theme_id == HORS_THEME:
                raise ConfigurationError(f"{where}{HORS_THEME} is reserved and cannot be a theme")
            label = item.get("label") or theme_id
            description = item.get("description") or label
            scope = item.get("scope") or ""
            if not isinstance(scope, str):
                raise ConfigurationError(f"{where}theme {theme_id!r}: `scope` must be a string")
            examples = _phrases(item.get("examples"), f"{where}theme {theme_id!r}: ", "examples")
            themes.append(Theme(theme_id, str(label), str(description), scope.strip(), examples))
        ids = [t.id for t in themes]
        if len(set(ids)) != len(ids):
            raise ConfigurationError(f"{where}theme ids must be unique")
        return cls(
            name=name,
            themes=tuple(themes),
            language=data.get("language", "fr"),
            source=source,
            off_topic=_phrases(data.get("off_topic"), where, "off_topic"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Scheme:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"{path}: scheme file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{path}: not a valid TOML scheme ({exc})") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def default(cls) -> Scheme:
        """The official ``assises-2020`` scheme bundled with the package."""
        ref = resources.files("nlp_assises") / "schemes" / "assises-2020.toml"
        return cls.from_dict(
            tomllib.loads(ref.read_text(encoding="utf-8")), source="assises-2020 (bundled)"
        )
