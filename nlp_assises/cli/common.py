"""The command line's shared parts: the Typer apps, the settings, atomic JSON/JSONL output and
the progress bars every command uses."""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from nlp_assises.errors import InputError

app = typer.Typer(
    name="nlp-assises",
    help="Turns the French free-text contributions of a public consultation into material for "
    "its synthesis: clean, classify into themes, cluster emerging proposals, serve, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="The model registry: build, train, list, promote, roll back.", no_args_is_help=True
)
app.add_typer(models_app, name="models")
keys_app = typer.Typer(help="API keys (roles: portal, writer, admin).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class Engine(enum.StrEnum):
    local = "local"
    dask = "dask"


InPath = Annotated[Path, typer.Argument(help="A file (JSONL, CSV, TXT, EML, MBOX, PDF) or folder.")]


def load_settings():
    from nlp_assises.settings import Settings

    return Settings()


def write_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write to a temporary file and rename: a failure never leaves a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def jsonl_lines(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, default=str) + "\n"


@contextmanager
def progress_bars():
    """A callback ``(stage, done, total)`` drawing bars on a terminal, silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def read_all(path: Path):
    from nlp_assises.ingest import read_records

    records = list(read_records(path))
    if not records:
        raise InputError("no contribution found", source=str(path))
    return records


def clean_records(records, cleaner, progress) -> list:
    results, batch = [], 64
    for start in range(0, len(records), batch):
        results += cleaner.clean_many([r.text for r in records[start : start + batch]])
        progress("clean", min(start + batch, len(records)), len(records))
    return results
