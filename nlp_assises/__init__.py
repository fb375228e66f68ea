"""nlp-assises: from French free-text contributions to material for a consultation's synthesis.

The public API, for notebooks and other programs (imported on first use, so that the command line
starts fast)::

    from nlp_assises import Cleaner, Pipeline, ThemeClassifier, load_embedder
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Cleaner": "nlp_assises.cleaning",
    "CleanResult": "nlp_assises.cleaning",
    "Repair": "nlp_assises.cleaning",
    "load_embedder": "nlp_assises.embedding",
    "CachedEmbedder": "nlp_assises.embedding",
    "ThemeClassifier": "nlp_assises.classify",
    "ZeroShotClassifier": "nlp_assises.classify",
    "ModelRegistry": "nlp_assises.classify",
    "load_model": "nlp_assises.classify",
    "ProposalClusterer": "nlp_assises.clustering",
    "CampaignDetector": "nlp_assises.clustering",
    "KnownProposals": "nlp_assises.clustering.known",
    "Pipeline": "nlp_assises.pipeline",
    "Settings": "nlp_assises.settings",
    "Scheme": "nlp_assises.scheme",
    "Store": "nlp_assises.store",
    "Record": "nlp_assises.records",
    "read_records": "nlp_assises.ingest",
    "evaluate": "nlp_assises.evaluation",
    "load_labelled": "nlp_assises.datasets",
}

__all__ = [  # noqa: RUF022 (grouped as in _EXPORTS)
    "Cleaner",
    "CleanResult",
    "Repair",
    "load_embedder",
    "CachedEmbedder",
    "ThemeClassifier",
    "ZeroShotClassifier",
    "ModelRegistry",
    "load_model",
    "ProposalClusterer",
    "CampaignDetector",
    "KnownProposals",
    "Pipeline",
    "Settings",
    "Scheme",
    "Store",
    "Record",
    "read_records",
    "evaluate",
    "load_labelled",
    "__version__",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nlp_assises' has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers and IDEs
    from nlp_assises.classify import ModelRegistry, ThemeClassifier, ZeroShotClassifier, load_model
    from nlp_assises.cleaning import Cleaner, CleanResult, Repair
    from nlp_assises.clustering import CampaignDetector, ProposalClusterer
    from nlp_assises.clustering.known import KnownProposals
    from nlp_assises.datasets import load_labelled
    from nlp_assises.embedding import CachedEmbedder, load_embedder
    from nlp_assises.evaluation import evaluate
    from nlp_assises.ingest import read_records
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.records import Record
    from nlp_assises.scheme import Scheme
    from nlp_assises.settings import Settings
    from nlp_assises.store import Store
