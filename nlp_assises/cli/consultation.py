"""Commands on a consultation: cluster proposals, ingest into the store, run everything, write
the report, serve the API and the pages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import click
import typer

from nlp_assises.cli.common import (
    Engine,
    InPath,
    app,
    clean_records,
    jsonl_lines,
    load_settings,
    progress_bars,
    read_all,
    write_atomic,
)
from nlp_assises.errors import ConfigurationError, InputError


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
    question: Annotated[
        str | None,
        typer.Option(
            help="The question the texts answer: its words make no proposal of their own "
            "(answers that only repeat 'les pouvoirs publics doivent…' are not grouped by it).",
        ),
    ] = None,
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
    records = read_all(input)
    pipeline = Pipeline(load_settings())
    embedder = CachedEmbedder(pipeline.fast_embedder.embedder, MemoryEmbeddingCache())
    classifier = None if no_themes else pipeline.load_classifier(model, embedder)
    with progress_bars() as progress:
        cleaned = clean_records(records, pipeline.cleaner, progress)
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
        sub_min_parent = pipeline.settings.sub_proposal_min_size or None
        if classifier is None:
            result = cluster_items(
                items,
                embedder,
                spacy_model=pipeline.settings.spacy_model,
                sub_min_parent=sub_min_parent,
                question=question,
            )
        else:
            known = pipeline.load_known_proposals(embedder)
            result = ProposalClusterer(
                embedder,
                spacy_model=pipeline.settings.spacy_model,
                known=known,
                sub_min_parent=sub_min_parent,
                question=question,
            ).fit(items, classifier.scheme.theme_ids)
        progress("cluster", 1, 1)
    clusters = cluster_rows(result, campaigns)
    output.mkdir(parents=True, exist_ok=True)
    write_atomic(
        output / "clusters.json", [json.dumps(clusters, ensure_ascii=False, indent=2, default=str)]
    )
    assignments = assignment_rows([r.id for r in records], texts, result, campaigns, labels)
    write_atomic(output / "assignments.jsonl", jsonl_lines(assignments))
    kind = "clusters" if no_themes else "emerging proposals"
    typer.echo(
        f"{len(clusters)} {kind}, {len(result.non_answers)} non-answers set apart -> {output}",
        err=True,
    )


@app.command()
def ingest(input: InPath) -> None:
    """Add contributions to the store (cleaned and pseudonymised); duplicates are stored once."""
    from nlp_assises.pipeline import Pipeline

    with progress_bars() as progress:
        report = Pipeline(load_settings(), progress=progress).ingest(input)
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
    with progress_bars() as progress:
        summary = Pipeline(load_settings(), progress=progress).run(
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
    pipeline = Pipeline(load_settings())
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

    settings = load_settings()
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
