"""``run --engine dask``: the driver. It streams the input in partitions to a Dask cluster
(workers clean, pseudonymise, embed and classify), writes each partition's rows in one
transaction as results come back, then settles the proposals as the local engine does.

Why the results are the local engine's: workers run the same code on each contribution on its
own; the driver writes partitions in input order (a result that comes back early waits for the
ones before it), so duplicates and id clashes resolve as they would in one process; the proposal
refit runs on the driver (it already fits on a sample, ``max_fit_units``) and assignment, which
places each new contribution independently, runs on the workers.

Resuming: a partition whose submissions are all stored is not sent again; a lost worker's task
is rerun by Dask, and the store's inserts ignore ids already stored, so nothing is stored twice.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from nlp_assises.errors import ClusterError, ConfigurationError
from nlp_assises.ingest.stream import record_chunks, stream_records
from nlp_assises.scale.refit import chunks
from nlp_assises.store import SQLEmbeddingCache
from nlp_assises.store.ingestion import IngestReport, valid_records

log = logging.getLogger(__name__)

_SKIPPED = object()

# A local cluster's scheduler and nannies run in the driver's process, and each worker runs a
# statistical profiler: Dask's defaults (an event-loop watchdog every 20 ms, a system monitor
# every 0.5 s, worker profiling every 10 ms, memory checks every 0.1 s, work stealing every
# 0.1 s) cost the driver 2.5% and each worker 2% of a core while idle, on the cores the work
# needs. None of them helps a run of long, equal tasks queued in input order. And Dask keeps
# the last 1,000 messages of each connection for debugging (``low-level-log-length``): each
# task message holds a partition's records (up to 1 MB), so the client, the scheduler and the
# workers kept some 1.3 MB more a partition, up to a gigabyte each.
QUIET_CLUSTER = {
    "distributed.admin.low-level-log-length": 20,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
}


class DaskEngine:
    """A context manager around one client: the scheduler's at ``scheduler`` (default
    ``settings.dask_scheduler``), else a local cluster of ``settings.dask_workers`` worker
    processes started here and stopped on exit."""

    def __init__(self, pipeline, scheduler: str | None = None) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.scheduler = scheduler or self.settings.dask_scheduler
        self.cluster = None
        self.client = None
        self.partition_size = self.settings.dask_partition_size
        # Partitions sent to the workers, and skipped as stored by an earlier run.
        self.partitions = {"sent": 0, "skipped": 0}
        # When each step ended (time.perf_counter()), for the scale benchmark.
        self.timings: dict[str, float] = {}
        self._models_loaded = False

    # -- the cluster ------------------------------------------------------------------------
    def __enter__(self) -> DaskEngine:
        import dask
        from distributed import Client, LocalCluster

        # distributed logs every connection (and a slow worker shutdown): the run says what matters.
        quiet = max(logging.ERROR, logging.getLogger().getEffectiveLevel())
        logging.getLogger("distributed").setLevel(quiet)
        timeout = self.settings.dask_timeout
        try:
            # A local cluster's scheduler and workers inherit the config; another cluster's
            # are configured where they start (docs/scale.md), this client here.
            with dask.config.set(QUIET_CLUSTER):
                if self.scheduler:
                    self.client = Client(self.scheduler, timeout=timeout, set_as_default=False)
                else:
                    self.cluster = LocalCluster(
                        n_workers=self.settings.dask_workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                    self.client = Client(self.cluster, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.__exit__(None, None, None)
            where = self.scheduler or "a local cluster"
            raise ClusterError(
                f"cannot reach the Dask scheduler at {where} within {timeout:g} s "
                f"({exc.__class__.__name__}); start it or check --scheduler"
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def _load_models(self) -> None:
        """Register the plugin that loads the models on every worker (now and on any worker
        that joins later), with the driver's settings: absolute paths and the installation's
        pseudonym secret, so that every worker hashes authors as this installation does."""
        from nlp_assises.scale.worker import ModelsOnWorker

        if self._models_loaded:
            return
        settings = self.settings.model_dump()
        settings["data_dir"] = Path(self.settings.data_dir).resolve()
        settings["models_dir"] = Path(self.settings.models_dir).resolve()
        settings["pseudonym_secret"] = self.settings.resolved_pseudonym_secret
        settings["database_url"] = None  # workers never open the store
        if not self.client.scheduler_info().get("workers"):
            self.client.wait_for_workers(1, timeout=max(60.0, self.settings.dask_timeout))
        self.client.register_plugin(ModelsOnWorker(settings))
        self._models_loaded = True

    def _workers_models(self) -> dict:
        """The classifier and embedder the workers loaded, checked against the driver's
        models folder. The driver does not load them for cleaning and classification (loading
        the embedder took it 11 s, torch included): only the proposals need them here."""
        from nlp_assises.scale import worker

        described = list(self.client.run(worker.describe).values())
        expected = self._driver_version()
        for models in described:
            if models["version"] != expected:
                raise ConfigurationError(
                    f"a worker classifies with model {models['version']}, the driver with "
                    f"{expected}: give every worker the same models folder"
                )
        self.threads = [models["threads"] for models in described]
        return described[0]

    def _driver_version(self) -> str:
        """The classifier version the driver's settings name, read from its card alone."""
        import json

        pipeline = self.pipeline
        folder = Path(self.settings.classifier_model or pipeline.registry.path())
        card = json.loads((folder / "model_card.json").read_text())
        return card.get("version", folder.name)

    def _window(self) -> int:
        """Partitions in flight: enough to keep every worker busy, few enough to bound the
        driver's memory."""
        return 2 * max(1, len(self.client.scheduler_info().get("workers", {}))) + 1

    # -- the run ----------------------------------------------------------------------------
    def run(
        self,
        path: str | Path,
        *,
        total: int | None = None,
        recluster: bool | None = None,
        proposals: bool = True,
    ):
        """``Pipeline.run`` on the cluster; ``total``: the input's records, when counted;
        ``proposals=False`` stops after classifying (several inputs, then one refit)."""
        pipeline, store = self.pipeline, self.pipeline.store
        if total is None:
            total = count_records(path)  # bad input fails before a run is recorded
        if not self._models_loaded:
            self._load_models()
            self.timings["models_loaded"] = time.perf_counter()
        run_id = store.start_run("pipeline")
        try:
            models = self._workers_models()
            self.version = models["version"]
            store.record_model(
                "classifier",
                self.version,
                str(self.settings.classifiers_dir / self.version),
                models["card"],
            )
            store.record_model("embedder", models["embedder"], self.settings.embedder_spec, {})
            self.cache = SQLEmbeddingCache(store)
            report, classified = self._ingest(path, run_id, total)
            classified += self._classify_rest()
            self.timings["classified"] = time.perf_counter()
            ingest = report.to_dict()
            clustering = "unchanged"
            if proposals:
                clustering = pipeline.update_proposals(
                    ingest["new"],
                    classified,
                    recluster,
                    place=self._assign,
                    prepare=self._prepare,
                    refit=self.refit,
                )
        except Exception as exc:
            store.finish_run(run_id, error=f"{exc.__class__.__name__}: {exc}")
            if _is_cluster_failure(exc):
                raise self._explained(exc) from None
            raise
        summary = pipeline.finish_run(run_id, ingest, classified, clustering)
        self.timings["done"] = time.perf_counter()
        return summary

    def _ingest(self, path, run_id: int, total: int) -> tuple[IngestReport, int]:
        """Partitions to the workers, results written in input order as they come back."""
        from nlp_assises.scale import worker

        store, scheme = self.pipeline.store, self.pipeline.scheme
        report = IngestReport()
        classified = done = 0
        results: dict[int, object] = {}  # finished partitions waiting for an earlier one
        batches: dict[int, tuple[int, list]] = {}
        next_index = 0

        def write_ready() -> None:
            nonlocal next_index, classified, done
            while next_index in results:
                result = results.pop(next_index)
                size, candidates = batches.pop(next_index)
                if result is not _SKIPPED:
                    classified += self._write(candidates, result, report)
                else:
                    report.duplicate += len(candidates)
                done += size
                self.pipeline.progress("ingest", done, total)
                self.pipeline.progress("classify", done, total)
                next_index += 1

        from distributed import as_completed

        running = as_completed(loop=self.client.loop, with_results=True)
        partition_of: dict[str, int] = {}
        for index, chunk in enumerate(record_chunks(path, self.partition_size)):
            candidates = valid_records(chunk, scheme, report)
            batches[index] = (len(chunk), candidates)
            keys = {r.submission_key for r in candidates}
            if not candidates or keys <= store.stored_submissions(keys):
                results[index] = _SKIPPED  # stored by an earlier (interrupted) run
                self.partitions["skipped"] += 1
            else:
                future = self.client.submit(
                    worker.clean_and_classify, candidates, run_id, pure=False
                )
                partition_of[future.key] = index
                self.partitions["sent"] += 1
                running.add(future)
            # Finished partitions waiting for an earlier one count too: the driver never holds
            # more than the window, however long the first partition takes.
            while running.count() and running.count() + len(results) >= self._window():
                future, result = next(running)
                results[partition_of.pop(future.key)] = result
                write_ready()
            write_ready()
        while running.count():
            future, result = next(running)
            results[partition_of.pop(future.key)] = result
            write_ready()
        write_ready()
        return report, classified

    def _write(self, candidates, result: dict, report: IngestReport) -> int:
        """One partition into the store, one transaction: its new contributions, their
        classifications and vectors; returns how many were classified. Nothing of it is kept:
        a later partition's duplicates are found in the store (partitions are written in
        input order), so the driver's memory does not grow with the run."""
        self._check_version(result)
        new = self.pipeline.store.ingest_cleaned(
            candidates,
            result["rows"],
            report,
            classifications=result["classifications"],
            model_version=self.version,
            vectors=(result["embedder"], result["hashes"], result["vectors"]),
        )
        return len(new)

    def _cache(self, result: dict, keep: set[str], ids: list[str]) -> None:
        vectors = {
            h: v
            for cid, h, v in zip(ids, result["hashes"], result["vectors"], strict=True)
            if cid in keep
        }
        self.cache.put_many(result["embedder"], vectors)

    def _check_version(self, result: dict) -> None:
        if result["model_version"] != self.version:
            raise ConfigurationError(
                f"a worker classifies with model {result['model_version']}, the driver with "
                f"{self.version}: give every worker the same models folder"
            )

    def _classify_rest(self) -> int:
        """Stored contributions without a classification by the current model (stored before
        it was promoted, or by a run interrupted between its two writes), as
        ``classify_store`` would classify them."""
        from nlp_assises.scale.worker import classify_partition

        store = self.pipeline.store
        waiting = store.unclassified_ids(self.version)

        def partitions() -> Iterator[tuple]:  # read as the window lets them go, not all at once
            for chunk in chunks(waiting, self.partition_size):
                found = store.contributions(chunk)
                yield [c.id for c in found], [c.text for c in found], [c.flags for c in found]

        done = 0
        for result in self._map(classify_partition, partitions()):  # in order, as they come
            self._check_version(result)
            store.save_classifications(result["classifications"], self.version)
            ids = [r["id"] for r in result["classifications"]]
            self._cache(result, set(ids), ids)
            done += len(ids)
            self.pipeline.progress("classify", done, len(waiting))
        return done

    def _assign(self, items: list, clusters: list[dict]) -> list[dict]:
        """``ProposalClusterer.assign`` over partitions of the new contributions, on the
        workers; the memberships in the order one process gives them."""
        from nlp_assises.scale import worker

        if not items:
            return []
        shared = self.client.scatter(clusters, broadcast=True)
        futures = [
            self.client.submit(worker.assign, list(part), shared, pure=False)
            for part in chunks(items, self.partition_size)
        ]
        return [member for future in futures for member in future.result()]

    def _prepare(self, items: list):
        """``ProposalClusterer.prepare`` (proposal units, recurring proposals: the refit's
        per-contribution work) over partitions, on the workers; merged in input order."""
        from nlp_assises.clustering.proposals import Prepared
        from nlp_assises.scale import worker

        futures = [
            self.client.submit(worker.prepare, list(part), pure=False)
            for part in chunks(items, self.partition_size)
        ]
        parts = []
        for done, future in enumerate(futures, 1):
            parts.append(future.result())
            self.pipeline.progress("prepare", done, len(futures))
        return Prepared.merge(parts)

    def refit(self):
        """The proposals refitted: as the local engine does up to ``settings.dask_fit_sample``
        stored contributions (their per-contribution work on the workers), else fitted on a
        sample of that size and the rest placed on the workers (``scale.refit``), so that the
        driver's memory stays bounded."""
        from nlp_assises.scale.refit import SampledRefit

        if self.pipeline.store.count() <= self.settings.dask_fit_sample:
            return self.pipeline.cluster_store(self._prepare)
        return SampledRefit(
            self.pipeline,
            sample_size=self.settings.dask_fit_sample,
            partition_size=self.partition_size,
            keys=self._campaign_keys,
            place=self._place,
            prepare=self._prepare,
        ).run()

    def _campaign_keys(self, partitions):
        from nlp_assises.scale import worker

        return self._map(worker.campaign_keys, partitions)

    def _place(self, partitions, placement):
        from nlp_assises.scale import worker

        shared = self.client.scatter(placement, broadcast=True)
        return self._map(worker.place, partitions, shared)

    def _map(self, function, payloads, *shared) -> Iterator:
        """``function(payload, *shared)`` on the workers for each payload, results in the
        payloads' order, with at most the window in flight (bounded driver memory)."""
        pending: deque = deque()
        for payload in payloads:
            pending.append(self.client.submit(function, payload, *shared, pure=False))
            while len(pending) >= self._window():
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def _explained(self, exc: Exception) -> ClusterError:
        return ClusterError(
            f"the Dask cluster lost the work: {exc.__class__.__name__}: {exc} (a task's workers "
            "died too often: check the workers' memory and logs; the stored partitions are kept "
            "and a new run resumes after them)"
        )


def count_records(path: str | Path) -> int:
    """The input's records, read once without keeping them: it fails on bad input as
    ``Pipeline.read`` does, and gives the progress bars their total."""
    return sum(1 for _ in stream_records(path))


def _is_cluster_failure(exc: Exception) -> bool:
    """A task lost to its workers dying, or the scheduler gone: not a bug of ours."""
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return isinstance(exc, KilledWorker | CommClosedError | FutureCancelledError)
