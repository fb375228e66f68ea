"""The recurring proposals recognised in contributions, emitted as proposals of their own.

``ProposalClusterer.fit`` recognises a learnt proposal in a contribution (``recognition.py``)
only when the proposal's theme is one of the contribution's; those contributions then join it,
under its written label, and are left out of discovery. Their clusters are built here, as the
discovered ones are (``proposal_record.emit_proposal``), but with the known label and keywords
from the members' own words.
"""

from __future__ import annotations

from collections.abc import Mapping

from nlp_assises.clustering.known import KnownProposals
from nlp_assises.clustering.labels import clean_keywords, recurring_words
from nlp_assises.clustering.proposal_record import emit_proposal
from nlp_assises.clustering.results import ClusteringResult, Contribution, rank_groups
from nlp_assises.clustering.units import Unit
from nlp_assises.embedding.base import Embedder


def emit_recognised(
    recognised: Mapping[str, str],
    units_of: Mapping[str, list[Unit]],
    by_id: Mapping[str, Contribution],
    theme_sizes: Mapping[str, int],
    result: ClusteringResult,
    *,
    embedder: Embedder,
    known: KnownProposals,
    n_quotes: int = 5,
) -> None:
    """Add to ``result`` one cluster per recognised recurring proposal, in its home theme, with
    its label (``recognised``: contribution id → the proposal's slug; ``units_of``: each
    contribution's proposal units; ``theme_sizes``: contributions by theme)."""
    ids = list(recognised)
    if not ids:
        return
    units = [u for i in ids for u in units_of.get(i, ())]
    embeddings = embedder.encode([u.text for u in units])
    by_slug: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        by_slug.setdefault(recognised[unit.contribution_id], []).append(index)
    for slug, indices in rank_groups(by_slug, units, by_id):
        info = known.proposals[slug]
        said: dict[str, list[str]] = {}  # each member's sentences, read as one text
        for i in indices:
            said.setdefault(units[i].contribution_id, []).append(units[i].text)
        keywords = clean_keywords(recurring_words([" ".join(t) for t in said.values()]))
        emit_proposal(
            f"{info['theme']}-{slug}",
            info["theme"],
            units,
            embeddings,
            indices,
            info["label"],
            keywords,
            by_id,
            theme_sizes[info["theme"]],
            result,
            n_quotes=n_quotes,
        )
