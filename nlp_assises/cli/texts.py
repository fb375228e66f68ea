"""Commands on texts given as files: clean, classify, train and evaluate a theme model."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from nlp_assises.cli.common import (
    InPath,
    app,
    clean_records,
    jsonl_lines,
    load_settings,
    progress_bars,
    read_all,
    write_atomic,
)
from nlp_assises.errors import InputError


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

    records = read_all(input)
    cleaner = Cleaner(pseudonymize=pseudonymize, spacy_model=load_settings().spacy_model)
    with progress_bars() as progress:
        results = clean_records(records, cleaner, progress)
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
    write_atomic(output, jsonl_lines(rows))
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

    records = read_all(input)
    pipeline = Pipeline(load_settings())
    classifier = pipeline.load_classifier(model)
    with progress_bars() as progress:
        cleaned = clean_records(records, pipeline.cleaner, progress)
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
        decision.pop("confidence", None)
        rows.append({"id": record.id, **decision})
    write_atomic(output, jsonl_lines(rows))
    typer.echo(f"{len(rows)} contributions classified -> {output}", err=True)


def _labelled(path: Path, scheme) -> tuple[list[str], list[list[str]]]:
    records = read_all(path)
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
    tune: Annotated[
        bool,
        typer.Option(
            help="Choose C and the word n-gram weight by cross-validation on these labels "
            "(9 settings x 5 folds x 2 repeats) instead of the fixed settings."
        ),
    ] = False,
) -> None:
    """Train a classifier on labelled records; write a model folder with its model card."""
    import shutil

    from nlp_assises.classify import ModelRegistry, ThemeClassifier
    from nlp_assises.classify.small_data import small_set_params
    from nlp_assises.cleaning import Cleaner
    from nlp_assises.embedding import load_embedder
    from nlp_assises.scheme import Scheme

    settings = load_settings()
    the_scheme = Scheme.load(scheme)
    texts, labels = _labelled(labeled, the_scheme)
    cleaned = [c.text for c in Cleaner(pseudonymize=False, detect_language=False).clean_many(texts)]
    embedder = load_embedder(settings.embedder_spec)
    tuning = None
    if tune:
        from nlp_assises.classify.tuning import tune as tune_settings

        def show(done: int, total: int, row: dict) -> None:
            typer.echo(
                f"tuning {done}/{total}: {row['params']} cross-validated macro-F1 "
                f"{row['macro_f1']:.3f}",
                err=True,
            )

        tuning = tune_settings(embedder, cleaned, labels, the_scheme, progress=show)
        params = tuning["params"]
    else:  # a few hundred labels get their own settings (measured in bench/few_label.py)
        params = small_set_params(len(texts))
    model = ThemeClassifier(embedder, **params).fit(cleaned, labels, the_scheme)
    # Out-of-fold figures: the model card carries metrics no training row has graded itself.
    from nlp_assises.evaluation import evaluate

    oof = model.decide(model.oof_proba_)
    model.card["metrics"] = {"cross_validated": evaluate(labels, oof, the_scheme.theme_ids)}
    if tuning is not None:  # what was tried, so the choice can be read again
        model.card["tuning"] = tuning
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

    pipeline = Pipeline(load_settings())
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
