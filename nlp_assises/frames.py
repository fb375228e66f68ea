"""The store as pandas DataFrames, for notebooks: one row per contribution, cluster or repair.

Read-only: these functions never change the store. What they return goes through the privacy
policy (:mod:`nlp_assises.privacy`) for ``role``, a writer's by default: no original text, no
author pseudonym, and no repair content that may hold personal data; ``role="admin"`` has it all.

>>> import nlp_assises as na
>>> pipeline = na.Pipeline()                      # settings from NLP_ASSISES_* variables
>>> df = na.contributions_frame(pipeline.store)
>>> df.groupby("primary").size()                  # doctest: +SKIP
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from nlp_assises import privacy

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


def contributions_frame(source: Store | Pipeline, role: str | None = "writer") -> pd.DataFrame:
    """Every stored contribution with what was computed about it, indexed by ``id``.

    Columns: ``text`` (cleaned), ``source``, ``format`` (``mbox``, ``eml``, ``csv``, ``txt``,
    ``pdf``...), ``channel``, ``date``, ``author`` (keyed pseudonym, admins only),
    ``language``, ``flags`` (list), ``not_french``, ``n_repairs``, ``n_pseudonyms``,
    ``n_chars``, ``n_words``, ``campaign``, ``themes_gold`` (labels that came with the input, or
    None), the latest classification (``model_version``, ``primary``, ``labels``,
    ``needs_review``, ``margin``, ``confidence`` (probability that ``primary`` is right) and one
    ``score_<theme>`` column per theme) and ``clusters`` (ids
    of the current clustering run's proposals it belongs to).

    Example::

        df = contributions_frame(store)
        df[df.needs_review].sort_values("confidence").head()
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
            "text": privacy.text_view(c.text, repairs, role),
            "source": c.source,
            "format": _format(c.source),
            "channel": c.channel,
            "date": c.date,
            "author": c.author_pseudonym if privacy.sees_personal_data(role) else None,
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
            "confidence": d.confidence if d else None,
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


def repairs_frame(source: Store | Pipeline, role: str | None = "writer") -> pd.DataFrame:
    """One row per repair the cleaner made: ``contribution_id``, ``kind``, ``category`` (for a
    pseudonym: PERSONNE, EMAIL, TELEPHONE... read from its placeholder), ``before``, ``after``,
    ``start`` and ``withheld``: below admin, what may hold personal data is None
    (:func:`nlp_assises.privacy.repair_view`).

    Example::

        repairs_frame(store).groupby(["kind", "category"], dropna=False).size()
    """
    rows = []
    for c in _store(source).contributions():
        for r in privacy.repairs_view(c.repairs, role):
            pseudonym = r["kind"] == "pseudonym"
            match = _PLACEHOLDER_KIND.match(r["after"] or "") if pseudonym else None
            rows.append(
                {
                    "contribution_id": c.id,
                    "kind": r["kind"],
                    "category": match.group(1) if match else None,
                    "before": r.get("before"),
                    "after": r.get("after"),
                    "start": r.get("start"),
                    "withheld": r.get("withheld"),
                }
            )
    columns = ["contribution_id", "kind", "category", "before", "after", "start", "withheld"]
    return pd.DataFrame(rows, columns=columns)


def clusters_frame(
    source: Store | Pipeline, theme: str | None = None, role: str | None = "writer"
) -> pd.DataFrame:
    """The current clustering run's proposals, largest first, indexed by cluster ``id``:
    ``theme``, ``label``, ``keywords``, ``size`` (contributions), ``people`` (a campaign counts
    once), ``campaign_copies``, ``share`` (of the theme), ``first_date``, ``last_date``,
    ``quotes`` (verbatim ``{contribution_id, text}``), ``sub_proposals`` (its main variants:
    ``{id, label, keywords, size, people, contributions, quotes}``).

    Example::

        clusters_frame(store, theme="service")[["label", "people"]].head(10)
    """
    store = _store(source)
    repairs_of = privacy.store_repairs(store)
    rows = [privacy.cluster_view(k, role, repairs_of) for k in store.current_clusters(theme)]
    columns = list(privacy.CLUSTER_FIELDS)
    return pd.DataFrame(rows, columns=columns).set_index("id")
