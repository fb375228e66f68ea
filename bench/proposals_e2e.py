"""A real consultation's size end to end: ``nlp-assises run`` on 22,607 answers (the size of the
Grand Débat's incivilités question, issue 13) from a fresh store: wall time, CPU time, peak RSS,
load average, and where the time and memory go (ingest with cleaning, classification, proposals:
each stage's end in wall and CPU seconds, and the peak RSS reached by then).

The corpus recombines the real answers of ../shared/realdata (bench/scale.py's ``corpus``: each
contribution takes one to three sentences of two to four answers, with its own date and author),
written under var/bench/scale/ (never committed). The run is ``Pipeline.run`` in a child process,
which is exactly what ``nlp-assises run FILE`` calls, with a progress callback that records when
each stage ends, in wall and CPU seconds (``cluster_start``: the proposals begin, campaigns
done). Skipped with a message when ../shared/realdata is absent.

    nice -n 10 .venv/bin/python bench/proposals_e2e.py                 # 22,607 answers
    nice -n 10 .venv/bin/python bench/proposals_e2e.py --size 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time

from common import REALDATA, REPO, child_row, write

TARGETS = {"seconds": 180, "peak_rss_mb": 3072}


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(size: int) -> dict:
    """One run, in this process: the models load inside the timed part, as in the CLI."""
    from scale import SECRET, WORK, corpus

    from nlp_assises.pipeline import Pipeline
    from nlp_assises.settings import Settings

    path, origin = corpus(size)
    data = WORK / f"store-e2e-{size}"
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, models_dir=REPO / "models", pseudonym_secret=SECRET)
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peak: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages[stage] = time.perf_counter() - start  # the last call: when the stage ended
        cpu[stage] = _cpu_seconds()
        peak[stage] = _peak_rss_mb()
        if stage == "cluster" and done == 0:  # clustering starts: campaigns then proposals
            cpu["cluster_start"] = cpu["cluster"]
            peak["cluster_start"] = peak["cluster"]

    summary = Pipeline(settings, progress=progress).run(path)
    seconds = time.perf_counter() - start
    used = resource.getrusage(resource.RUSAGE_SELF)
    shutil.rmtree(data, ignore_errors=True)
    return {
        "contributions": size,
        "corpus": origin,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(used.ru_utime + used.ru_stime, 1),
        "peak_rss_mb": round(used.ru_maxrss / 1024, 1),
        "stage_ends_seconds": {k: round(v, 1) for k, v in stages.items()},
        "stage_ends_cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
        "stage_ends_peak_rss_mb": peak,
        "summary": {k: v for k, v in summary.to_dict().items() if k not in ("run_id", "ingest")},
    }


def main(size: int, timeout: int) -> dict:
    if not REALDATA.is_file():
        print(f"skipped: {REALDATA} is absent (real answers, see docs/proposals.md)")
        return write("proposals_e2e", {"skipped": f"{REALDATA} absent"})
    load_before = os.getloadavg()
    row = child_row(__file__, size, timeout)
    row["load_average_before"] = [round(x, 2) for x in load_before]
    row["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return write("proposals_e2e", {"targets": TARGETS, "cpus_used": 2, "run": row})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=22_607)
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
    else:
        main(args.size, args.timeout)
