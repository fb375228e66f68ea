"""Shared fixtures: real models from the repository's registry, a fresh SQLite file per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from nlp_assises.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MODELS = REPO / "models"


def needs_shared():
    return pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared is absent")


@pytest.fixture(scope="session")
def models_ready() -> Path:
    """The default models, built by `make models` (built here if a test run starts bare)."""
    from nlp_assises.bootstrap import ensure_default_models

    ensure_default_models(Settings(models_dir=MODELS))
    return MODELS


@pytest.fixture
def settings(tmp_path, models_ready) -> Settings:
    return Settings(data_dir=tmp_path / "var", models_dir=models_ready)


@pytest.fixture(scope="session")
def embedder(models_ready):
    from nlp_assises.embedding import load_embedder

    return load_embedder(Settings(models_dir=models_ready).embedder_spec)


@pytest.fixture(scope="session")
def cleaner():
    from nlp_assises.cleaning import Cleaner

    return Cleaner()


@pytest.fixture
def cli_env(tmp_path, models_ready) -> dict:
    """Environment for running the real `nlp-assises` command in a subprocess."""
    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(tmp_path / "var")
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env.pop("NLP_ASSISES_DEBUG", None)
    return env
