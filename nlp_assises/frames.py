"""The store as pandas DataFrames, for notebooks: one row per contribution, cluster or repair.

Read-only: these functions never change the store. Personal data stays out: no original text, and
the ``before`` of pseudonymisation repairs (the name or address itself) is never returned.

>>> import nlp_assises as na
>>> pipeline = na.Pipeline()                      # settings from NLP_ASSISES_* variables
>>> df = na.contributions_frame(pipeline.store)
>>> df.groupby("primary").size()                  # doctest: +SKIP
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.store import Store

_PLACEHOLDER_KIND = re.compile(r"^\[([A-Z]+)_\d+\]$")
_SOURCE_FORMAT = re.compile(r"\.([A-Za-z0-9]+)(?:[:#].*)?$")


def _format(source: str | None) -> str | None:
    """The input format a contribution was read from (``mbox``, ``eml``, ``csv``, ``txt``,
    ``pdf``, ``jsonl``), from its source name."""
    match = _SOURCE_FORMAT.search(source or "")
    return match.group(1).lower() if match else None


def _store(source: Store | Pipeline) -> Store:
    """Accept a ``Store`` or anything that has one (a ``Pipeline``)."""
    return getattr(source, "store", source)


def contributions_frame(source: Store | Pipeline) -> pd.DataFrame:
    """Every stored contribution with what was computed about it, indexed by ``id``.

    Columns: ``text`` (cleaned), ``source``, ``format`` (``mbox``, ``eml``, ``csv``, ``txt``,
    ``pdf``...), ``channel``, ``date``, ``author`` (pseudonym),
    ``language``, ``flags`` (list), ``not_french``, ``n_repairs``, ``n_pseudonyms``,
    ``n_chars``, ``n_words``, ``campaign``, ``themes_gold`` (labels that came with the input, or
    None), the latest classification (``model_version``, ``primary``, ``labels``,
    ``needs_review``, ``margin`` and one ``score_<theme>`` column per theme) and ``clusters`` (ids
    of the current clustering run's proposals it belongs to).

    Example::

        df = contributions_frame(store)
        df[df.needs_review].sort_values("margin").head()
    """
    store = _store(source)
    contributions = store.contributions()
    decisions = store.latest_classifications()
    clusters: dict[str, list[str]] = {}
    for row in store.current_cluster_members():
        ids = clusters.setdefault(row["contribution_id"], [])
        if row["cluster_id"] not in ids:
            ids.append(row["cluster_id"])
    rows = []
    for c in contributions:
        d = decisions.get(c.id)
        repairs = c.repairs or []
        row = {
            "id": c.id,
            "text": c.text,
            "source": c.source,
            "format": _format(c.source),
            "channel": c.channel,
            "date": c.date,
            "author": c.author_pseudonym,
            "language": c.language,
            "flags": list(c.flags or []),
            "not_french": "not_french" in (c.flags or []),
            "n_repairs": sum(1 for r in repairs if r["kind"] != "pseudonym"),
            "n_pseudonyms": sum(1 for r in repairs if r["kind"] == "pseudonym"),
            "n_chars": len(c.text),
            "n_words": len(c.text.split()),
            "campaign": c.campaign_id,
            "themes_gold": c.themes_gold,
            "model_version": d.model_version if d else None,
            "primary": d.primary if d else None,
            "labels": list(d.labels) if d else [],
            "needs_review": bool(d.needs_review) if d else None,
            "margin": d.margin if d else None,
            "clusters": clusters.get(c.id, []),
        }
        for theme, score in (d.scores if d else {}).items():
            row[f"score_{theme}"] = score
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame.set_index("id")


def repairs_frame(source: Store | Pipeline) -> pd.DataFrame:
    """One row per repair the cleaner made: ``contribution_id``, ``kind``, ``category`` (for a
    pseudonym: PERSONNE, EMAIL, TELEPHONE... read from its placeholder), ``after`` and
    ``start``. The ``before`` of a pseudonym (the personal data itself) is left out.

    Example::

        repairs_frame(store).groupby(["kind", "category"], dropna=False).size()
    """
    rows = []
    for c in _store(source).contributions():
        for r in c.repairs or []:
            pseudonym = r["kind"] == "pseudonym"
            match = _PLACEHOLDER_KIND.match(r["after"]) if pseudonym else None
            rows.append(
                {
                    "contribution_id": c.id,
                    "kind": r["kind"],
                    "category": match.group(1) if match else None,
                    "before": None if pseudonym else r["before"],
                    "after": r["after"],
                    "start": r.get("start"),
                }
            )
    columns = ["contribution_id", "kind", "category", "before", "after", "start"]
    return pd.DataFrame(rows, columns=columns)


def clusters_frame(source: Store | Pipeline, theme: str | None = None) -> pd.DataFrame:
    """The current clustering run's proposals, largest first, indexed by cluster ``id``:
    ``theme``, ``label``, ``keywords``, ``size`` (contributions), ``people`` (a campaign counts
    once), ``campaign_copies``, ``share`` (of the theme), ``first_date``, ``last_date``,
    ``quotes`` (verbatim ``{contribution_id, text}``).

    Example::

        clusters_frame(store, theme="service")[["label", "people"]].head(10)
    """
    rows = [
        {
            "id": k.id,
            "theme": k.theme,
            "label": k.label,
            "keywords": list(k.keywords or []),
            "size": k.size,
            "people": k.people,
            "campaign_copies": k.campaign_copies,
            "share": k.share,
            "first_date": k.first_date,
            "last_date": k.last_date,
            "quotes": list(k.quotes or []),
        }
        for k in _store(source).current_clusters(theme)
    ]
    columns = [
        "id",
        "theme",
        "label",
        "keywords",
        "size",
        "people",
        "campaign_copies",
        "share",
        "first_date",
        "last_date",
        "quotes",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("id")
