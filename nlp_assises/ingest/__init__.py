"""Read contributions from the input formats of the contract (JSONL, CSV, text, e-mail, PDF)."""

from nlp_assises.ingest.readers import SUPPORTED_SUFFIXES, read_records

__all__ = ["SUPPORTED_SUFFIXES", "read_records"]
