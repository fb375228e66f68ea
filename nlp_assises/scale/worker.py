"""What runs on a Dask worker: the models, loaded once per worker process by a worker plugin,
and the work on one partition (clean + pseudonymise + embed + classify; proposal assignment).

Workers never open the store: they return rows and the driver writes them, so a worker needs the
package, the models and the installation's pseudonym secret, not the database (docs/scale.md).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

import numpy as np
from distributed import WorkerPlugin, get_worker

from nlp_assises.clustering import Contribution
from nlp_assises.embedding.cache import text_hash
from nlp_assises.records import Record
from nlp_assises.store.rows import _contribution_row

PLUGIN = "nlp-assises-models"


class WorkerParts:
    """The parts a worker uses, built from the driver's settings (absolute paths, explicit
    pseudonym secret) so that every worker runs the driver's models."""

    def __init__(self, settings: dict) -> None:
        from nlp_assises.pipeline import Pipeline
        from nlp_assises.settings import Settings

        self.pipeline = Pipeline(Settings(**settings))
        self.secret: str = settings["pseudonym_secret"]
        self.cleaner = self.pipeline.cleaner
        self.embedder = self.pipeline.fast_embedder  # no store: an in-memory cache only
        self.model = self.pipeline.load_classifier(embedder=self.embedder)
        self.version = self.model.card.get("version", "unknown")
        self.cleaner.clean_many(["Bonjour."])  # load spaCy now, not in the first partition
        self._clusterer = None

    @property
    def clusterer(self):
        if self._clusterer is None:
            from nlp_assises.clustering import ProposalClusterer

            self._clusterer = ProposalClusterer(
                self.embedder,
                spacy_model=self.pipeline.settings.spacy_model,
                known=self.pipeline.load_known_proposals(embedder=self.embedder),
            )
        return self._clusterer

    def classify(self, ids: Sequence[str], texts: Sequence[str], flags: Sequence) -> dict:
        """``classify_store``'s rows for these contributions, and the vectors embedded on the
        way (the driver keeps them in the store's embedding cache)."""
        vectors = self.embedder.encode(list(texts))
        rows = []
        for cid, flag, decision in zip(ids, flags, self.model.predict(list(texts)), strict=True):
            row = {"id": cid, **decision.to_dict()}
            if "not_french" in (flag or []):
                row["needs_review"] = True
            rows.append(row)
        return {
            "classifications": rows,
            "hashes": [text_hash(t) for t in texts],
            "vectors": np.asarray(vectors, dtype=np.float32),
            "model_version": self.version,
            "embedder": self.embedder.model_id,
        }


class ModelsOnWorker(WorkerPlugin):
    """Loads :class:`WorkerParts` when a worker starts (and on a worker that replaces a lost
    one). The settings it carries hold the pseudonym secret: it is never printed."""

    name = PLUGIN

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.parts: WorkerParts | None = None

    def __repr__(self) -> str:  # never the settings: they hold the secret
        return f"<{self.__class__.__name__}>"

    def setup(self, worker) -> None:
        self.parts = WorkerParts(self.settings)
        one_thread()


def one_thread() -> None:
    """One BLAS/OpenMP/torch thread a task. Dask's nanny sets ``OMP_NUM_THREADS=1`` (and MKL's,
    OpenBLAS's) for the workers it starts, but a worker started otherwise, or a library that
    reads its own setting, would spread each task over every core: extra threads then only
    compete with the other workers for the same cores."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def describe(dask_worker=None) -> dict:
    """The models this worker runs (classifier card, embedder id) and its threads: the driver
    records the models from here instead of loading them itself (``client.run``)."""
    from threadpoolctl import threadpool_info

    plugin = dask_worker.plugins[PLUGIN]
    if plugin.parts is None:
        raise RuntimeError("the nlp-assises models are not loaded on this worker")
    parts = plugin.parts
    torch = sys.modules.get("torch")
    return {
        "card": {k: v for k, v in parts.model.card.items() if k != "scheme"},
        "version": parts.version,
        "embedder": parts.embedder.model_id,
        "threads": {
            "torch": torch.get_num_threads() if torch else None,
            "blas": max((p["num_threads"] for p in threadpool_info()), default=None),
        },
    }


def _parts() -> WorkerParts:
    plugin = get_worker().plugins[PLUGIN]
    if plugin.parts is None:  # setup failed or has not run: say so rather than guess
        raise RuntimeError("the nlp-assises models are not loaded on this worker")
    return plugin.parts


def clean_and_classify(records: list[Record], run_id: int) -> dict:
    """One partition of the input: contribution rows (cleaned, pseudonymised), their
    classifications and vectors, and where and how long it ran."""
    started = time.perf_counter()
    parts = _parts()
    cleaned = parts.cleaner.clean_many([r.text for r in records])
    rows = [
        _contribution_row(record, result, parts.secret, run_id)
        for record, result in zip(records, cleaned, strict=True)
    ]
    out = parts.classify(
        [r["id"] for r in rows], [r["text"] for r in rows], [r["flags"] for r in rows]
    )
    out["rows"] = rows
    out["pid"] = os.getpid()
    out["seconds"] = time.perf_counter() - started
    return out


def classify(ids: list[str], texts: list[str], flags: list) -> dict:
    """Stored contributions the current model has not classified yet."""
    return _parts().classify(ids, texts, flags)


def classify_partition(partition: tuple) -> dict:
    """:func:`classify` on one ``(ids, texts, flags)`` partition (the driver's ``_map``)."""
    ids, texts, flags = partition
    return classify(ids, texts, [list(f or []) for f in flags])


def assign(items: list[Contribution], clusters: list[dict]) -> list[dict]:
    """``ProposalClusterer.assign`` on one partition of the new contributions: each
    contribution is placed on its own, so partitions give the members one process would."""
    return _parts().clusterer.assign(items, clusters).members


def campaign_keys(texts: list[str]) -> np.ndarray:
    """The LSH band keys of one partition's texts (``CampaignDetector.band_keys``)."""
    from nlp_assises.clustering import CampaignDetector

    return CampaignDetector().band_keys(texts)


def place(items: list[Contribution], placement):
    """``clustering.placement.place`` on one partition of the contributions a sampled refit
    did not fit on."""
    from nlp_assises.clustering.placement import place as place_items

    return place_items(_parts().clusterer, items, placement)


def prepare(items: list[Contribution]):
    """``ProposalClusterer.prepare`` on one partition of the items a refit clusters."""
    return _parts().clusterer.prepare(items)


def worker_stats() -> dict:
    """This worker process's resident and peak memory (bytes) and CPU seconds so far, for the
    scale benchmark (CPU seconds do not depend on what else the machine runs)."""
    import resource

    import psutil

    process = psutil.Process()
    cpu = process.cpu_times()
    return {
        "pid": os.getpid(),
        "rss": process.memory_info().rss,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "cpu_seconds": cpu.user + cpu.system,
    }
