"""nlp-assises: from French free-text contributions to material for a consultation's synthesis.

The public API, for notebooks and other programs (imported on first use, so that the command line
starts fast); every name is described in ``docs/api.md``::

    import nlp_assises as na
    pipeline = na.Pipeline()                       # settings from NLP_ASSISES_* variables
    df = na.contributions_frame(pipeline.store)    # the store as a pandas DataFrame
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
    "load_independent": "nlp_assises.datasets",
    "default_training_records": "nlp_assises.datasets",
    "default_classifier_training": "nlp_assises.bootstrap",
    "ensure_default_models": "nlp_assises.bootstrap",
    "Decision": "nlp_assises.classify",
    "sample_consultation_path": "nlp_assises.datasets",
    "load_sample_labels": "nlp_assises.datasets",
    "contributions_frame": "nlp_assises.frames",
    "clusters_frame": "nlp_assises.frames",
    "repairs_frame": "nlp_assises.frames",
    "review_queue": "nlp_assises.labelling",
    "export_batch": "nlp_assises.labelling",
    "read_batch": "nlp_assises.labelling",
    "training_labels": "nlp_assises.labelling",
    "to_records": "nlp_assises.labelling",
    "LabelBatchError": "nlp_assises.labelling",
    "compare_models": "nlp_assises.model_selection",
    "promote_if_better": "nlp_assises.model_selection",
    "Comparison": "nlp_assises.model_selection",
    "Promotion": "nlp_assises.model_selection",
    "cluster_theme": "nlp_assises.proposal_runs",
    "stored_run": "nlp_assises.proposal_runs",
    "compare_runs": "nlp_assises.proposal_runs",
    "run_frame": "nlp_assises.proposal_runs",
    "write_back": "nlp_assises.proposal_runs",
    "topic_model": "nlp_assises.proposal_runs",
    "cluster_texts": "nlp_assises.open_question",
    "TextClusters": "nlp_assises.open_question",
    "NonAnswerDetector": "nlp_assises.non_answers",
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
    "load_independent",
    "default_training_records",
    "default_classifier_training",
    "ensure_default_models",
    "Decision",
    "sample_consultation_path",
    "load_sample_labels",
    "contributions_frame",
    "clusters_frame",
    "repairs_frame",
    "review_queue",
    "export_batch",
    "read_batch",
    "training_labels",
    "to_records",
    "LabelBatchError",
    "compare_models",
    "promote_if_better",
    "Comparison",
    "Promotion",
    "cluster_theme",
    "stored_run",
    "compare_runs",
    "run_frame",
    "write_back",
    "topic_model",
    "cluster_texts",
    "TextClusters",
    "NonAnswerDetector",
    "__version__",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nlp_assises' has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers and IDEs
    from nlp_assises.bootstrap import default_classifier_training, ensure_default_models
    from nlp_assises.classify import (
        Decision,
        ModelRegistry,
        ThemeClassifier,
        ZeroShotClassifier,
        load_model,
    )
    from nlp_assises.cleaning import Cleaner, CleanResult, Repair
    from nlp_assises.clustering import CampaignDetector, ProposalClusterer
    from nlp_assises.clustering.known import KnownProposals
    from nlp_assises.datasets import (
        default_training_records,
        load_independent,
        load_labelled,
        load_sample_labels,
        sample_consultation_path,
    )
    from nlp_assises.embedding import CachedEmbedder, load_embedder
    from nlp_assises.evaluation import evaluate
    from nlp_assises.frames import clusters_frame, contributions_frame, repairs_frame
    from nlp_assises.ingest import read_records
    from nlp_assises.labelling import (
        LabelBatchError,
        export_batch,
        read_batch,
        review_queue,
        to_records,
        training_labels,
    )
    from nlp_assises.model_selection import Comparison, Promotion, compare_models, promote_if_better
    from nlp_assises.non_answers import NonAnswerDetector
    from nlp_assises.open_question import TextClusters, cluster_texts
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.proposal_runs import (
        cluster_theme,
        compare_runs,
        run_frame,
        stored_run,
        topic_model,
        write_back,
    )
    from nlp_assises.records import Record
    from nlp_assises.scheme import Scheme
    from nlp_assises.settings import Settings
    from nlp_assises.store import Store
