"""National scale: `run` with the local engine against `--engine dask` with 1 and 2 worker
processes on this machine, at 10k, 100k (and 1M) contributions: wall time, contributions per
second, peak memory of the driver and of each worker, for cleaning + classification and for the
whole run (proposals included).

The corpus: real answers from ../shared/realdata (the Grand Débat's Q134) when present, else the
team's own sentences (bench/proposals_scale.py's sources), recombined: each contribution takes
one to three sentences of two to four answers, with its own date and an author among n/2, so
every one is a distinct submission. Generated text is for this benchmark only; it is written
under var/bench/scale/ (never committed) and reused.

Each (size, engine) runs in its own process (``ru_maxrss`` is per process; a local Dask
cluster's scheduler runs in the driver's process, so it is counted there), on a fresh SQLite
store. The timed cleaning + classification of the Dask runs starts once the workers have loaded
the models (the cluster start and the load are reported apart); workers' peaks are their
processes' ``ru_maxrss``, read with ``client.run`` at the end.

    nice -n 10 .venv/bin/python bench/scale.py                          # 10k and 100k
    nice -n 10 .venv/bin/python bench/scale.py --sizes 10000 --stage all
    nice -n 10 .venv/bin/python bench/scale.py --sizes 10000 --engines dask1 dask2 \\
        --stage classify --repeat 2                      # the 2-worker speed-up, interleaved
    nice -n 10 .venv/bin/python bench/scale.py --sizes 1000000 --engines dask2 --stage all
    nice -n 10 .venv/bin/python bench/scale.py --sizes 1000000 --engines dask2 --stage all \\
        --resume-store var/bench/scale/store-dask2-1000000-PID   # after an interruption

The driver's resident memory is sampled twice a second and its peak kept per stage of the run
(``driver_peak_rss_mb_by_stage``); ``driver_peak_rss_mb_after_classify`` is its peak before the
proposals; the load average before and after each run says how busy the shared machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import REPO, RESULTS, peak_rss_mb, write

REALDATA = REPO.parent / "shared" / "realdata" / "granddebat_q134_incivilites.jsonl"
WORK = REPO / "var" / "bench" / "scale"
ENGINES = {"local": 0, "dask1": 1, "dask2": 2}
SECRET = "bench-scale-pseudonym-secret-0123456789"
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def pool() -> tuple[str, list[list[str]]]:
    """Where the sentences come from, and each answer's sentences."""
    if REALDATA.exists():
        texts = [json.loads(line)["text"] for line in REALDATA.open(encoding="utf-8")]
        origin = "realdata (Grand Débat Q134, 7,237 answers)"
    else:
        from proposals_scale import sources

        texts = [" ".join(sentences) for _, sentences in sources()]
        origin = "the team's sentences (realdata absent)"
    split = [[s.strip() for s in _SENTENCE.split(t) if s.strip()] for t in texts]
    return origin, [s for s in split if s]


def corpus(n: int, seed: int = 0) -> tuple[Path, str]:
    """``n`` recombined contributions as JSONL (made once, then reused)."""
    import numpy as np

    origin, answers = pool()
    tag = "real" if REALDATA.exists() else "team"
    path = WORK / f"corpus-{tag}-{n}.jsonl"
    if path.exists():
        return path, origin
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    with tmp.open("w", encoding="utf-8") as handle:
        for i in range(n):
            parts = []
            for _ in range(int(rng.integers(2, 5))):
                sentences = answers[int(rng.integers(len(answers)))]
                start = int(rng.integers(len(sentences)))
                parts += sentences[start : start + int(rng.integers(1, 4))]
            row = {
                "id": f"gen-{i:07d}",
                "text": " ".join(parts),
                "date": f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00",
                "author": f"Personne {int(rng.integers(max(1, n // 2)))}",
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.rename(path)
    return path, origin


class StageMemory(threading.Thread):
    """The driver's resident memory sampled every ``interval`` seconds, its peak kept per
    stage of the run (the progress callback's stage names): which stage holds what."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.stage = "start"
        self.peaks: dict[str, int] = {}
        self.done = threading.Event()

    def sample(self) -> None:
        rss = self.process.memory_info().rss
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss)

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()

    def enter(self, stage: str) -> None:
        if stage != self.stage:
            self.sample()
            self.stage = stage

    def to_dict(self) -> dict:
        return {k: round(v / 2**20, 1) for k, v in self.peaks.items()}


def child(size: int, engine: str, stage: str, resume: Path | None = None) -> dict:
    """One size with one engine, in this process; ``resume``: the store folder of an earlier,
    interrupted run of the same corpus (its stored partitions are skipped, the rest runs, and
    the proposals are refitted even if that run got to store some)."""
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.scale.engine import DaskEngine, count_records
    from nlp_assises.scale.worker import worker_stats
    from nlp_assises.settings import Settings

    path, origin = corpus(size)
    data = WORK / f"store-{engine}-{size}-{os.getpid()}"  # two runs at once never share it
    if resume is not None:
        data = resume
    else:
        shutil.rmtree(data, ignore_errors=True)
    settings = Settings(
        data_dir=data,
        models_dir=REPO / "models",
        pseudonym_secret=SECRET,
        dask_workers=max(1, ENGINES[engine]),
    )
    marks: dict[str, float] = {}
    memory = StageMemory()
    memory.start()
    load_before = os.getloadavg()

    def progress(stage_name: str, done: int, total: int) -> None:
        memory.enter(stage_name)
        if stage_name == "classify" and done == total:
            marks["classified"] = time.perf_counter()

    pipeline = Pipeline(settings, progress=progress)
    start = time.perf_counter()
    out: dict = {"contributions": size, "engine": engine, "corpus": origin}
    if resume is not None:
        out["resumed_store"] = str(resume)
    if engine == "local":
        records = pipeline.read(path)
        pipeline.embedder.encode(["Bonjour."])  # models loaded before the clock starts
        pipeline.cleaner.clean_many(["Bonjour."])
        loaded = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        run_id = pipeline.store.start_run("pipeline")
        ingest = pipeline.ingest(records, run_id=run_id)
        classified = pipeline.classify_store()
        marks["classified"] = time.perf_counter()
        used = resource.getrusage(resource.RUSAGE_SELF)
        out["cpu_ms_per_contribution"] = round(
            1000 * (used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime) / size, 2
        )
        clustering = "unchanged"
        if stage == "all":
            clustering = pipeline.update_proposals(ingest["new"], classified, None)
        summary = pipeline.finish_run(run_id, ingest, classified, clustering)
        out["read_seconds"] = round(loaded - start, 1)
        clean_start = loaded
    else:
        total = count_records(path)
        with DaskEngine(pipeline) as dask:
            connected = time.perf_counter()
            dask._load_models()  # here, to read the workers' CPU time once they are loaded
            dask.timings["models_loaded"] = time.perf_counter()
            before = dask.client.run(worker_stats)
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            summary = dask.run(path, total=total, proposals=False)
            used = resource.getrusage(resource.RUSAGE_SELF)
            out["driver_peak_rss_mb_after_classify"] = peak_rss_mb()
            if stage == "all":  # the proposals as ``run`` settles them, measured apart
                memory.enter("proposals")  # then the refit's stages: campaigns, fit, place, save
                began = time.perf_counter()
                out["clustering"] = pipeline.update_proposals(
                    summary.ingest["new"],
                    summary.classified,
                    True if resume is not None else None,  # a resumed store: refit
                    place=dask._assign,
                    prepare=dask._prepare,
                    refit=dask.refit,  # a sampled refit above settings.dask_fit_sample
                )
                out["proposals_seconds"] = round(time.perf_counter() - began, 1)
                out["proposals"] = len(pipeline.store.current_clusters())
            out["worker_threads"] = getattr(dask, "threads", None)
            workers = dask.client.run(worker_stats)
        out["cluster_start_seconds"] = round(connected - start, 1)
        out["models_load_seconds"] = round(dask.timings["models_loaded"] - connected, 1)
        out["partitions"] = dask.partitions
        out["workers"] = [
            {
                "peak_rss_mb": round(w["peak_rss"] / 2**20, 1),
                "rss_mb": round(w["rss"] / 2**20, 1),
                "cpu_seconds": round(w["cpu_seconds"] - before[k]["cpu_seconds"], 1),
            }
            for k, w in workers.items()
            if k in before
        ]
        out["driver_cpu_ms_per_contribution"] = round(
            1000 * (used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime) / size, 2
        )
        out["worker_cpu_ms_per_contribution"] = round(
            1000 * sum(w["cpu_seconds"] for w in out["workers"]) / size, 2
        )
        clean_start = dask.timings["models_loaded"]
        marks["classified"] = dask.timings["classified"]
    end = time.perf_counter()
    seconds = marks["classified"] - clean_start
    out |= {
        "summary": {k: v for k, v in summary.to_dict().items() if k != "run_id"},
        "clean_classify_seconds": round(seconds, 1),
        "clean_classify_per_second": round(size / seconds, 1),
        "whole_run_seconds": round(end - start, 1) if stage == "all" else None,
        "whole_run_per_second": round(size / (end - start), 1) if stage == "all" else None,
        "driver_peak_rss_mb": peak_rss_mb(),
        "driver_peak_rss_mb_by_stage": memory.to_dict(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "stage": stage,
    }
    memory.done.set()
    if resume is None:
        shutil.rmtree(data, ignore_errors=True)
    return out


def main(
    sizes: list[int],
    engines: list[str],
    stage: str,
    timeout: int,
    repeat: int,
    resume: Path | None = None,
) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="2")
    previous = WORK / "results.partial.json"
    invocation = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = []
    for size in sizes:
        for rep in range(repeat):  # engines interleaved: a busy minute hits them alike
            for engine in engines:
                command = [sys.executable, __file__, "--child", str(size), engine]
                command += ["--stage", stage]
                if resume is not None:
                    command += ["--resume-store", str(resume)]
                run = subprocess.run(
                    command,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    cwd=REPO,
                )
                if run.returncode != 0:
                    row = {"contributions": size, "engine": engine, "error": run.stderr[-1500:]}
                else:
                    row = json.loads(run.stdout.strip().splitlines()[-1])
                rows.append({**row, "stage": stage, "repeat": rep})
                print(json.dumps(rows[-1]), flush=True)
                WORK.mkdir(parents=True, exist_ok=True)
                previous.write_text(json.dumps(rows, indent=2))

    def key(row: dict) -> tuple:
        return row["contributions"], row["engine"], row.get("stage", stage), row.get("repeat", 0)

    for row in rows:
        row["invocation"] = invocation
    if (RESULTS / "scale.json").exists():  # earlier invocations' rows are kept beside these
        kept = json.loads((RESULTS / "scale.json").read_text()).get("sizes", [])
        for row in kept:
            if "load_average_before" not in row:  # measured before the driver's writes were cut
                row["stale"] = "measured before the driver was slimmed (docs/scale.md)"
        rows = kept + rows
    speedups = {}

    def group(row: dict) -> tuple:  # one invocation's repetition of one size and stage
        size, _, run_stage, rep = key(row)
        return row.get("invocation", ""), size, run_stage, rep

    for when, size, run_stage, rep in sorted({group(r) for r in rows}):
        by = {
            r["engine"]: r
            for r in rows
            if group(r) == (when, size, run_stage, rep) and "error" not in r and "stale" not in r
        }
        if "dask1" in by and "dask2" in by:
            speedups[f"{size} ({run_stage}) {when} #{rep}"] = round(
                by["dask2"]["clean_classify_per_second"] / by["dask1"]["clean_classify_per_second"],
                2,
            )
    return write(
        "scale",
        {
            "targets": {
                "dask2_over_dask1_clean_classify": 1.6,
                "1M_driver_peak_rss_mb": 2048,
                "1M_worker_peak_rss_mb": 3072,
            },
            "dask2_over_dask1_clean_classify": speedups,
            "load_average_at_end": os.getloadavg(),
            "sizes": rows,
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument(
        "--stage",
        choices=["all", "classify"],
        default="all",
        help="all: the whole run (proposals too); classify: stop after classifying",
    )
    parser.add_argument("--timeout", type=int, default=4 * 3600, help="Seconds per run.")
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each engine, interleaved (dask1 dask2 ...)."
    )
    parser.add_argument(
        "--resume-store",
        type=Path,
        help="resume the interrupted run whose store is in this folder (kept afterwards)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    resume = args.resume_store.resolve() if args.resume_store else None
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.stage, resume)))
    else:
        main(args.sizes, args.engines, args.stage, args.timeout, args.repeat, resume)
