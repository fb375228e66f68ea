"""Theme classification: supervised and zero-shot estimators, decisions, evaluation, registry."""

from nlp_assises.classify.decision import Decision, decide
from nlp_assises.classify.estimator import ThemeClassifier
from nlp_assises.classify.registry import ModelRegistry, load_model
from nlp_assises.classify.zero_shot import ZeroShotClassifier

__all__ = [
    "Decision",
    "ModelRegistry",
    "ThemeClassifier",
    "ZeroShotClassifier",
    "decide",
    "load_model",
]
