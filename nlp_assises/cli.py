"""The ``nlp-assises`` command line (contract in ``shared/CONTRACTS.md``), a thin layer over the
library: every command reads the contract's formats, writes UTF-8 JSON/JSONL atomically, shows a
progress bar on a terminal, and fails with one line, never a traceback."""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import click
import typer

from nlp_assises.errors import ConfigurationError, InputError, NlpAssisesError

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


def _settings():
    from nlp_assises.settings import Settings

    return Settings()


def _write_atomic(path: Path, chunks: Iterable[str]) -> None:
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


def _jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, default=str) + "\n"


@contextmanager
def _progress():
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


def _read_all(path: Path):
    from nlp_assises.ingest import read_records

    records = list(read_records(path))
    if not records:
        raise InputError("no contribution found", source=str(path))
    return records


def _clean_records(records, cleaner, progress) -> list:
    results, batch = [], 64
    for start in range(0, len(records), batch):
        results += cleaner.clean_many([r.text for r in records[start : start + batch]])
        progress("clean", min(start + batch, len(records)), len(records))
    return results


@app.command()
def clean(
    input: InPath,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output JSONL.")],
    pseudonymize: Annotated[
        bool,
        typer.Option(
            "--pseudonymize/--no-pseudonymize", help="Replace personal data by placeholders."
        ),
    ] = True,
) -> None:
    """Repair and clean texts; keep the original and the list of repairs."""
    from nlp_assises.cleaning import Cleaner

    records = _read_all(input)
    cleaner = Cleaner(pseudonymize=pseudonymize, spacy_model=_settings().spacy_model)
    with _progress() as progress:
        results = _clean_records(records, cleaner, progress)
    rows = (
        {
            "id": r.id,
            "text": c.text,
            "original": r.text,
            "repairs": [x.to_dict() for x in c.repairs],
            "language": c.language,
            "flags": c.flags,
        }
        for r, c in zip(records, results, strict=True)
    )
    _write_atomic(output, _jsonl(rows))
    typer.echo(f"{len(records)} contributions cleaned -> {output}", err=True)


@app.command()
def classify(
    input: InPath,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output JSONL.")],
    model: Annotated[
        Path | None, typer.Option(help="A classifier folder (default: current).")
    ] = None,
) -> None:
    """Theme scores, retained labels, primary theme and review flag of each contribution."""
    from nlp_assises.pipeline import Pipeline

    records = _read_all(input)
    pipeline = Pipeline(_settings())
    classifier = pipeline.load_classifier(model)
    with _progress() as progress:
        cleaned = _clean_records(records, pipeline.cleaner, progress)
        decisions = []
        texts = [c.text for c in cleaned]
        for start in range(0, len(texts), 256):
            decisions += pipeline.classify_texts(texts[start : start + 256], classifier)
            progress("classify", min(start + 256, len(texts)), len(texts))
    rows = []
    for record, result, decision in zip(records, cleaned, decisions, strict=True):
        if "not_french" in result.flags or not result.text.strip():
            decision["needs_review"] = True
        decision.pop("margin", None)
        rows.append({"id": record.id, **decision})
    _write_atomic(output, _jsonl(rows))
    typer.echo(f"{len(rows)} contributions classified -> {output}", err=True)


def _labelled(path: Path, scheme) -> tuple[list[str], list[list[str]]]:
    records = _read_all(path)
    texts, labels = [], []
    for record in records:
        if not record.themes:
            raise InputError(f"record {record.id} has no `themes` label", source=str(path))
        labels.append(scheme.validate_labels(record.themes, where=f"{path}: {record.id}: "))
        texts.append(record.text)
    return texts, labels


@app.command()
def train(
    labeled: Annotated[Path, typer.Argument(help="Labelled records (with `themes`).")],
    scheme: Annotated[Path, typer.Option(help="The theme scheme (TOML).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model folder to write.")],
    register: Annotated[
        bool, typer.Option(help="Also add it to the registry and promote it.")
    ] = False,
) -> None:
    """Train a classifier on labelled records; write a model folder with its model card."""
    import shutil

    from nlp_assises.classify import ModelRegistry, ThemeClassifier
    from nlp_assises.classify.small_data import small_set_params
    from nlp_assises.cleaning import Cleaner
    from nlp_assises.embedding import load_embedder
    from nlp_assises.scheme import Scheme

    settings = _settings()
    the_scheme = Scheme.load(scheme)
    texts, labels = _labelled(labeled, the_scheme)
    cleaned = [c.text for c in Cleaner(pseudonymize=False, detect_language=False).clean_many(texts)]
    # A few hundred labels get their own settings (measured in bench/few_label.py).
    params = small_set_params(len(texts))
    model = ThemeClassifier(load_embedder(settings.embedder_spec), **params).fit(
        cleaned, labels, the_scheme
    )
    # Out-of-fold figures: the model card carries metrics no training row has graded itself.
    from nlp_assises.classify.decision import decide
    from nlp_assises.evaluation import evaluate

    oof = decide(
        model.oof_proba_, the_scheme.theme_ids, model.thresholds_, review_band=model.review_band
    )
    model.card["metrics"] = {"cross_validated": evaluate(labels, oof, the_scheme.theme_ids)}
    model.card["version"] = output.name
    tmp = output.with_name(f".{output.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save(tmp)
    if output.exists():
        shutil.rmtree(output)
    os.replace(tmp, output)
    if register:
        version = ModelRegistry(settings.classifiers_dir).add(model, promote=True)
        typer.echo(f"registered and promoted {version}", err=True)
    metrics = model.card["metrics"]["cross_validated"]
    typer.echo(
        f"trained on {len(texts)} records -> {output} (cross-validated macro-F1 "
        f"{metrics['macro_f1']:.3f})",
        err=True,
    )


@app.command()
def evaluate(
    labeled: Annotated[Path, typer.Argument(help="Labelled records (with `themes`).")],
    model: Annotated[
        Path | None, typer.Option(help="A classifier folder (default: current).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Accuracy and macro-F1 of `primary`, per-theme and multi-label F1 on labelled records."""
    from nlp_assises.cleaning import Cleaner
    from nlp_assises.evaluation import evaluate as run_evaluation
    from nlp_assises.pipeline import Pipeline

    pipeline = Pipeline(_settings())
    classifier = pipeline.load_classifier(model)
    texts, labels = _labelled(labeled, classifier.scheme)
    cleaned = [c.text for c in Cleaner(pseudonymize=False, detect_language=False).clean_many(texts)]
    metrics = run_evaluation(labels, classifier.predict(cleaned), classifier.scheme.theme_ids)
    metrics["model_version"] = classifier.card.get("version")
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    typer.echo(
        f"n={metrics['n']} accuracy={metrics['accuracy']:.3f} "
        f"macro_f1={metrics['macro_f1']:.3f} multilabel_f1={metrics['multilabel_f1']:.3f}"
    )
    for theme, row in metrics["per_theme"].items():
        typer.echo(
            f"  {theme:<15} P={row['precision']:.3f} R={row['recall']:.3f} "
            f"F1={row['f1']:.3f} n={row['support']}"
        )


@app.command()
def cluster(
    input: InPath,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    model: Annotated[
        Path | None, typer.Option(help="A classifier folder (default: current).")
    ] = None,
    no_themes: Annotated[
        bool,
        typer.Option(
            "--no-themes",
            help="Cluster every text together, without classifying it (the answers to one "
            "open question); theme is then null and the Assises' recurring proposals are not "
            "used.",
        ),
    ] = False,
) -> None:
    """Emerging proposals within each theme: clusters.json and assignments.jsonl. Non-answers
    ("RAS", "voir ci-dessus") are in no proposal and have substantive: false."""
    from nlp_assises.clustering import CampaignDetector, Contribution, ProposalClusterer
    from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache
    from nlp_assises.open_question import assignment_rows, cluster_items, cluster_rows
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.scheme import HORS_THEME

    if no_themes and model is not None:
        raise InputError("--model and --no-themes exclude each other: nothing is classified")
    records = _read_all(input)
    pipeline = Pipeline(_settings())
    embedder = CachedEmbedder(pipeline.fast_embedder.embedder, MemoryEmbeddingCache())
    classifier = None if no_themes else pipeline.load_classifier(model, embedder)
    with _progress() as progress:
        cleaned = _clean_records(records, pipeline.cleaner, progress)
        texts = [c.text for c in cleaned]
        labels = [d.labels for d in classifier.predict(texts)] if classifier else None
        campaigns = CampaignDetector().fit_predict([r.id for r in records], texts)
        items = []
        for i, (record, text) in enumerate(zip(records, texts, strict=True)):
            themes = [t for t in (record.themes or labels[i]) if t != HORS_THEME] if labels else []
            items.append(
                Contribution(
                    id=record.id,
                    text=text,
                    themes=themes,
                    date=record.date.isoformat() if record.date else None,
                    author=record.author,
                    campaign=campaigns.get(record.id),
                )
            )
        progress("cluster", 0, 1)
        if classifier is None:
            result = cluster_items(items, embedder, spacy_model=pipeline.settings.spacy_model)
        else:
            known = pipeline.load_known_proposals(embedder)
            result = ProposalClusterer(
                embedder, spacy_model=pipeline.settings.spacy_model, known=known
            ).fit(items, classifier.scheme.theme_ids)
        progress("cluster", 1, 1)
    clusters = cluster_rows(result, campaigns)
    output.mkdir(parents=True, exist_ok=True)
    _write_atomic(
        output / "clusters.json", [json.dumps(clusters, ensure_ascii=False, indent=2, default=str)]
    )
    assignments = assignment_rows([r.id for r in records], texts, result, campaigns, labels)
    _write_atomic(output / "assignments.jsonl", _jsonl(assignments))
    kind = "clusters" if no_themes else "emerging proposals"
    typer.echo(
        f"{len(clusters)} {kind}, {len(result.non_answers)} non-answers set apart -> {output}",
        err=True,
    )


@app.command()
def ingest(input: InPath) -> None:
    """Add contributions to the store (cleaned and pseudonymised); duplicates are stored once."""
    from nlp_assises.pipeline import Pipeline

    with _progress() as progress:
        report = Pipeline(_settings(), progress=progress).ingest(input)
    typer.echo(json.dumps(report, ensure_ascii=False))


@app.command()
def run(
    input: InPath,
    recluster: Annotated[
        bool | None,
        typer.Option(
            "--recluster/--no-recluster",
            help="Refit the proposals, or only assign new contributions to the current ones "
            "(default: refit unless the new contributions are few).",
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            help="local: this process; dask: the per-contribution work on a Dask cluster "
            "(same results; docs/scale.md).",
        ),
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="The Dask scheduler (tcp://HOST:PORT) for --engine dask; default "
            "NLP_ASSISES_DASK_SCHEDULER, else a local cluster of worker processes.",
        ),
    ] = None,
) -> None:
    """The whole pipeline into the store: ingest, clean, classify, cluster."""
    from nlp_assises.pipeline import Pipeline

    if scheduler and engine is not Engine.dask:
        raise click.UsageError("--scheduler goes with --engine dask")
    with _progress() as progress:
        summary = Pipeline(_settings(), progress=progress).run(
            input, recluster=recluster, engine=engine.value, scheduler=scheduler
        )
    typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False))


@app.command()
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.md, FILE.html or FILE.docx")],
) -> None:
    """The synthesis report from the store."""
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.report import build_report, write_report

    suffix = output.suffix.lower()
    if suffix not in (".md", ".html", ".docx"):
        raise InputError("the report must be .md, .html or .docx", source=str(output))
    pipeline = Pipeline(_settings())
    data = build_report(pipeline.store, pipeline.scheme)
    write_report(data, output)
    typer.echo(f"report -> {output}", err=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Default 8000.")] = None,
    workers: Annotated[int, typer.Option(help="Server processes (each loads the models).")] = 1,
) -> None:
    """The HTTP API and the writers' web pages."""
    import uvicorn

    settings = _settings()
    try:
        from service.app import create_app
        from service.server import reuse_port_supported, serve_one, serve_workers
    except ImportError:
        raise ConfigurationError("the `service` package is not installed with this copy") from None
    options = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "info",
        "access_log": False,
    }
    metrics_dir = None
    if workers > 1:  # /metrics adds up every worker's counters (prometheus multiprocess mode)
        from service.metrics import use_multiprocess_dir

        metrics_dir = use_multiprocess_dir()
    try:
        if workers > 1 and reuse_port_supported():  # each process builds its app from the env
            serve_workers(options.pop("host"), options.pop("port"), workers, options)
        elif workers > 1:
            # Loading the models holds the GIL for seconds at a time on a busy machine; uvicorn's
            # default 5 s health-check would take a worker still loading for a hung one.
            uvicorn.run(
                "service.app:create_app",
                factory=True,
                workers=workers,
                timeout_worker_healthcheck=120,
                **options,
            )
        else:
            serve_one(create_app(settings), options)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@models_app.command("setup")
def models_setup() -> None:
    """Build the default embedder and train the default classifier if they are missing."""
    from nlp_assises.bootstrap import ensure_default_models

    typer.echo(json.dumps(ensure_default_models(_settings()), ensure_ascii=False))


@models_app.command("build-embedder")
def models_build_embedder(
    force: Annotated[bool, typer.Option(help="Rebuild even if present.")] = False,
) -> None:
    """Build the default French static embedder from spaCy's word vectors (offline)."""
    from nlp_assises.bootstrap import ensure_default_embedder

    typer.echo(str(ensure_default_embedder(_settings(), force=force)))


@models_app.command("train-default")
def models_train_default() -> None:
    """Train the default classifier on the bundled corpus, register and promote it."""
    from nlp_assises.bootstrap import train_default_classifier

    typer.echo(train_default_classifier(_settings()))


@models_app.command("list")
def models_list() -> None:
    """Every registered classifier version with its held-out metrics; * marks the current one."""
    from nlp_assises.classify import ModelRegistry

    for v in ModelRegistry(_settings().classifiers_dir).versions():
        held = v["metrics"].get("held_out", {})
        mark = "*" if v["current"] else " "
        typer.echo(
            f"{mark} {v['version']}  {v['kind']:<10} scheme={v['scheme']} "
            f"macro_f1={held.get('macro_f1', '-')}"
        )


@models_app.command("promote")
def models_promote(version: str) -> None:
    """Make VERSION the current classifier."""
    from nlp_assises.classify import ModelRegistry

    ModelRegistry(_settings().classifiers_dir).promote(version)
    typer.echo(f"current classifier: {version}")


@models_app.command("rollback")
def models_rollback() -> None:
    """Make the previously promoted classifier current again."""
    from nlp_assises.classify import ModelRegistry

    typer.echo(f"current classifier: {ModelRegistry(_settings().classifiers_dir).rollback()}")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key.")],
    role: Annotated[str, typer.Option(help="portal, writer or admin.")] = "writer",
) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    from nlp_assises.keys import create_key
    from nlp_assises.store import Store

    typer.echo(create_key(Store.from_settings(_settings()), name, role))


@keys_app.command("local")
def keys_local(
    file: Annotated[Path, typer.Argument(help="Where the key is kept (created if missing).")],
) -> None:
    """A writer key for this machine's pages, kept in FILE (what `make run` uses)."""
    from nlp_assises.keys import create_key, verify_key
    from nlp_assises.store import Store

    settings = _settings()
    store = Store.from_settings(settings)
    key = file.read_text().strip() if file.is_file() else ""
    if not verify_key(store, key):
        key = create_key(store, "local writer (make run)", "writer")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(key + "\n")
        file.chmod(0o600)
    typer.echo(f"Pages: http://{settings.host}:{settings.port}/ (writer key in {file}: {key})")


@keys_app.command("list")
def keys_list() -> None:
    """Keys by id, name, role and prefix (never the key itself)."""
    from nlp_assises.keys import list_keys
    from nlp_assises.store import Store

    for key in list_keys(Store.from_settings(_settings())):
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.id}\t{key.name}\t{key.role}\t{key.prefix}…\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke the key with this id."""
    from nlp_assises.keys import revoke_key
    from nlp_assises.store import Store

    revoke_key(Store.from_settings(_settings()), key_id)
    typer.echo(f"key {key_id} revoked")


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


# typer >= 0.2x raises the errors of its own copy of click (``typer._click``), older typer those of
# click itself: both are caught, whichever this install has.
_CLICK_FLAVOURS = [click.exceptions]
with contextlib.suppress(ImportError):
    from typer._click import exceptions as _typer_click

    _CLICK_FLAVOURS.append(_typer_click)
_USAGE_ERRORS = tuple(flavour.UsageError for flavour in _CLICK_FLAVOURS)
_CLICK_ERRORS = tuple(flavour.ClickException for flavour in _CLICK_FLAVOURS)
_NO_ARGS = tuple(
    flavour.NoArgsIsHelpError
    for flavour in _CLICK_FLAVOURS
    if hasattr(flavour, "NoArgsIsHelpError")
)
_EXITS = (click.exceptions.Exit, typer.Exit)
_ABORTS = (click.exceptions.Abort, typer.Abort)


def _usage_message(exc) -> str:
    """click's message, with the closest valid option as a question rather than a list."""
    possibilities = getattr(exc, "possibilities", None)
    if possibilities and getattr(exc, "message", None):
        return f"{exc.message.rstrip('.')}. Did you mean {possibilities[0]}?"
    return exc.format_message()


def _usage_error(exc) -> int:
    """A mistake in the command line, not a crash: the usage line, where to find help, one line
    saying what is wrong, and exit code 2, as every command-line tool does."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
        typer.echo(f"Try '{ctx.command_path} --help' for help.", err=True)
    typer.echo(f"nlp-assises: error: {_one_line(_usage_message(exc))}", err=True)
    return 2


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors and known errors become one line on stderr and a non-zero exit
    code; anything else is a bug, reported as such."""
    logging.basicConfig(
        level=os.environ.get("NLP_ASSISES_LOG_LEVEL", "WARNING"),
        format="%(levelname)s %(name)s: %(message)s",
    )
    from nlp_assises.privacy import install_log_filter

    install_log_filter()  # log lines go through the privacy policy too
    try:
        code = app(args=argv, prog_name="nlp-assises", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except _EXITS as exc:
        sys.exit(exc.exit_code)
    except _NO_ARGS as exc:  # `nlp-assises` or `nlp-assises models` alone: the help
        exc.show()
        sys.exit(exc.exit_code)
    except _USAGE_ERRORS as exc:
        sys.exit(_usage_error(exc))
    except _CLICK_ERRORS as exc:
        typer.echo(f"nlp-assises: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except _ABORTS:
        typer.echo("nlp-assises: aborted", err=True)
        sys.exit(130)
    except NlpAssisesError as exc:
        typer.echo(f"nlp-assises: error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("NLP_ASSISES_DEBUG"):
            raise
        typer.echo(
            f"nlp-assises: unexpected error: {exc.__class__.__name__}: "
            f"{_one_line(str(exc))[:300]} (NLP_ASSISES_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
