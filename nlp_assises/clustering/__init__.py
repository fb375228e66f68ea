"""Emerging proposals: proposal units, campaigns, and BERTopic clustering within each theme."""

from nlp_assises.clustering.campaigns import CampaignDetector
from nlp_assises.clustering.labels import label_from_unit
from nlp_assises.clustering.proposals import (
    ClusteringResult,
    Contribution,
    ProposalClusterer,
)
from nlp_assises.clustering.units import Unit, UnitExtractor

__all__ = [
    "CampaignDetector",
    "ClusteringResult",
    "Contribution",
    "ProposalClusterer",
    "Unit",
    "UnitExtractor",
    "label_from_unit",
]
