"""One proposal as the clusterer gives it: its members, quotes that say its words, a label.

The quotes come from the members who say most of the proposal's words (its core words, or the
words of its written label), then from the most central; one quote a contribution (and a
campaign's copies count once). A discovered proposal's label is taken from one of those
sentences (``labels.pick_label_source``), and that sentence is quoted first, so the label's
words are in a quote.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from nlp_assises.clustering.labels import (
    focused_label,
    label_from_unit,
    pick_label_source,
    stem_shares,
    word_stems,
)
from nlp_assises.clustering.results import ClusteringResult
from nlp_assises.clustering.units import Unit, quote_text


def _order(embeddings, indices, support: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The members by how much of the proposal's words they say (``support``), then by
    closeness to the centroid; and the centroid."""
    vectors = embeddings[indices]
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    closeness = vectors @ centroid
    if support is not None:
        return np.lexsort((-closeness, -support)), centroid
    return np.argsort(-closeness, kind="stable"), centroid


def _quoted(order, units, indices, by_id, n_quotes: int) -> tuple[list[Unit], int]:
    """The members quoted, up to ``n_quotes`` in ``order``, one a contribution (a campaign's
    copies count once), and how many members were scanned to find them."""
    chosen, quoted = [], set()
    scanned = 0
    for k in order:
        unit = units[indices[k]]
        scanned += 1
        campaign = by_id[unit.contribution_id].campaign
        if unit.contribution_id in quoted or (campaign and campaign in quoted):
            continue
        quoted.add(unit.contribution_id)
        if campaign:
            quoted.add(campaign)
        chosen.append(unit)
        if len(chosen) >= n_quotes:
            break
    return chosen, scanned


def _quote(unit: Unit, by_id) -> dict:
    return {
        "contribution_id": unit.contribution_id,
        "text": quote_text(unit, by_id[unit.contribution_id].text),
        "start": unit.start,
    }


def discovered_label(
    units, embeddings, indices, by_id, support: np.ndarray | None = None, *, n_quotes: int = 5
) -> tuple[str, Unit]:
    """A discovered proposal's label and the member sentence it is taken from: among those
    who say most of its words (``support``), else the sentences quoted first."""
    order, _ = _order(embeddings, indices, support)
    _, scanned = _quoted(order, units, indices, by_id, n_quotes)
    if support is not None and support.max() > 0:  # those saying most of its words
        scanned = int((support == support.max()).sum())
    shared = stem_shares([units[i] for i in indices])
    source = pick_label_source([units[indices[k]] for k in order], scanned, shared, bare_verbs=True)
    return focused_label(label_from_unit(source.text), [units[i] for i in indices]), source


def emit_proposal(
    cluster_id,
    theme,
    units,
    embeddings,
    indices,
    label,
    keywords,
    by_id,
    theme_size,
    result: ClusteringResult,
    support: np.ndarray | None = None,
    *,
    n_quotes: int = 5,
    named: tuple[str, Unit] | None = None,
) -> None:
    """Add one proposal to ``result``. ``label``: a written label (None: discovered);
    ``support``: per member, how much of the proposal's words it says (its group's core words);
    the label and quotes come from those who say most first. ``named``: a discovered label and
    its sentence (``discovered_label``) chosen before some members left (``label_check``)."""
    contribution_ids = list(dict.fromkeys(units[i].contribution_id for i in indices))
    people = len({by_id[c].campaign or by_id[c].author or c for c in contribution_ids})
    if label is not None:  # a written label: quotes that say it in their words come first
        wanted = word_stems(label)
        support = np.array([len(wanted & word_stems(units[i].text)) for i in indices])
    order, centroid = _order(embeddings, indices, support)
    quotes = [_quote(u, by_id) for u in _quoted(order, units, indices, by_id, n_quotes)[0]]
    if label is None:
        if named is None:
            named = discovered_label(units, embeddings, indices, by_id, support, n_quotes=n_quotes)
        label, label_source = named
        # The sentence the label comes from is quoted first, in place of any other sentence
        # of its contribution (one quote a contribution): the label's words are in a quote.
        source = _quote(label_source, by_id)
        others = [q for q in quotes if q["contribution_id"] != source["contribution_id"]]
        quotes = [source, *others][:n_quotes]
    campaigns = Counter(by_id[c].campaign for c in contribution_ids if by_id[c].campaign)
    dates = sorted(by_id[c].date for c in contribution_ids if by_id[c].date)
    result.clusters.append(
        {
            "id": cluster_id,
            "theme": theme,
            "label": label,
            "keywords": keywords,
            "size": len(contribution_ids),
            "people": people,
            "campaign_copies": sum(campaigns.values()) - len(campaigns),
            "share": round(len(contribution_ids) / max(1, theme_size), 4),
            "contributions": contribution_ids,
            "quotes": quotes,
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "centroid": centroid.round(6).tolist(),
        }
    )
    for i in indices:
        result.add_member(cluster_id, units[i], float(embeddings[i] @ centroid))
