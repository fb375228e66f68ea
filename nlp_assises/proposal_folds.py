"""Held-out proposals: folds over the proposal slugs, and scores that keep discovery apart from
recognition.

Scoring the clustering against the 40 proposals the shipped ``KnownProposals`` learnt measures
recognition only: every gold proposal of the held-out writer is in training. Here each fold hides
a share of the slugs from what is learnt, as a real consultation brings proposals nobody
labelled: the training contributions of the hidden slugs are dropped (not relabelled "none",
which would teach the model to reject exactly what discovery then has to find) and their
catalogue entries (labels) are withheld. The clustering is then scored on the contributions whose
gold slug was hidden (discovery) apart from those whose slug was learnt (recognition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from nlp_assises.clustering.known import KnownProposals
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import ConfigurationError


@dataclass(frozen=True)
class Fold:
    """One split of the slugs: ``train`` holds the training records left once the contributions
    of the ``held_out`` slugs are removed (records making no proposal stay, as the "none"
    class)."""

    index: int
    held_out: frozenset[str]
    learnt: frozenset[str]
    train: tuple[dict, ...]


def slug_folds(slugs: Sequence[str], n_folds: int = 5, seed: int = 0) -> list[list[str]]:
    """``n_folds`` disjoint groups of slugs covering them all (a seeded shuffle, then dealt)."""
    order = sorted(set(slugs))
    if not 2 <= n_folds <= len(order):
        raise ConfigurationError(f"n_folds must be between 2 and {len(order)}, not {n_folds}")
    np.random.default_rng(seed).shuffle(order)
    return [sorted(order[i::n_folds]) for i in range(n_folds)]


def proposals_made(record: dict) -> list[str]:
    """Every proposal a training record makes (the independent corpus lists several)."""
    return record.get("proposals") or ([record["proposal"]] if record["proposal"] else [])


def build_folds(
    train: Sequence[dict], catalogue: Sequence[dict], n_folds: int = 5, seed: int = 0
) -> list[Fold]:
    """Folds over the catalogue's slugs; ``train``: labelled records (``text``, ``proposal``,
    optionally ``proposals``); a record making a held-out slug, main or not, is dropped."""
    slugs = [p["slug"] for p in catalogue]
    out = []
    for index, held in enumerate(slug_folds(slugs, n_folds, seed)):
        hidden = frozenset(held)
        out.append(
            Fold(
                index=index,
                held_out=hidden,
                learnt=frozenset(slugs) - hidden,
                train=tuple(r for r in train if not set(proposals_made(r)) & hidden),
            )
        )
    return out


def learn_fold(
    fold: Fold, catalogue: Sequence[dict], embedder: Embedder, **params
) -> KnownProposals:
    """``KnownProposals`` learnt as ``nlp-assises models setup`` learns it
    (``bootstrap.train_default_proposals``), on the fold's training records and learnt slugs
    only."""
    model = KnownProposals(embedder, **params).fit(
        [r["text"] for r in fold.train],
        [r["proposal"] for r in fold.train],
        [p for p in catalogue if p["slug"] in fold.learnt],
    )
    model.card["held_out_slugs"] = sorted(fold.held_out)
    return model


def _scores(gold: Sequence, predicted: Sequence) -> dict:
    return {
        "ari": round(float(adjusted_rand_score(gold, predicted)), 4),
        "nmi": round(float(normalized_mutual_info_score(gold, predicted)), 4),
    }


def split_scores(
    gold: Sequence[str],
    predicted: Sequence,
    held_out: set[str] | frozenset[str],
    recognised: Sequence[str | None] | None = None,
) -> dict:
    """ARI / NMI overall, on the contributions whose gold slug was held out (discovery) and on
    those whose slug was learnt (recognition).

    ``predicted``: each contribution's main cluster (unclustered ones as singletons);
    ``recognised``: for a method with learnt proposals, the learnt slug each contribution was put
    in (None when it went to an emerging proposal or nowhere). It adds how many held-out
    contributions a learnt proposal swallowed, and recognition's precision and recall.
    """
    gold, predicted = list(gold), list(predicted)
    hidden = [i for i, g in enumerate(gold) if g in held_out]
    known = [i for i, g in enumerate(gold) if g not in held_out]
    out = {"overall": {"contributions": len(gold), **_scores(gold, predicted)}}
    discovery = {
        "contributions": len(hidden),
        "proposals": len({gold[i] for i in hidden}),
    }
    if hidden:
        discovery.update(_scores([gold[i] for i in hidden], [predicted[i] for i in hidden]))
    recognition = {"contributions": len(known), "proposals": len({gold[i] for i in known})}
    if known:
        recognition.update(_scores([gold[i] for i in known], [predicted[i] for i in known]))
    if recognised is not None:
        recognised = list(recognised)
        discovery["swallowed_by_learnt"] = sum(recognised[i] is not None for i in hidden)
        put = [i for i, slug in enumerate(recognised) if slug is not None]
        right = sum(recognised[i] == gold[i] for i in put)
        recognition["recognised"] = len(put)
        recognition["precision"] = round(right / len(put), 4) if put else None
        recognition["recall"] = round(right / len(known), 4) if known else None
    out["discovery"] = discovery
    out["recognition"] = recognition
    return out
