"""Cleaning French contributions: repairs that are listed, never silent."""

from nlp_assises.cleaning.cleaner import Cleaner, CleanResult
from nlp_assises.cleaning.repairs import Repair

__all__ = ["CleanResult", "Cleaner", "Repair"]
