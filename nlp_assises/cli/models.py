"""``nlp-assises models``: the model registry (build, train, list, promote, roll back)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from nlp_assises.cli.common import load_settings, models_app


@models_app.command("setup")
def models_setup() -> None:
    """Build the default embedder and train the default classifier if they are missing."""
    from nlp_assises.bootstrap import ensure_default_models

    typer.echo(json.dumps(ensure_default_models(load_settings()), ensure_ascii=False))


@models_app.command("build-embedder")
def models_build_embedder(
    force: Annotated[bool, typer.Option(help="Rebuild even if present.")] = False,
) -> None:
    """Build the default French static embedder from spaCy's word vectors (offline)."""
    from nlp_assises.bootstrap import ensure_default_embedder

    typer.echo(str(ensure_default_embedder(load_settings(), force=force)))


@models_app.command("train-default")
def models_train_default() -> None:
    """Train the default classifier on the bundled corpus, register and promote it."""
    from nlp_assises.bootstrap import train_default_classifier

    typer.echo(train_default_classifier(load_settings()))


@models_app.command("list")
def models_list() -> None:
    """Every registered classifier version with its held-out metrics; * marks the current one."""
    from nlp_assises.classify import ModelRegistry

    for v in ModelRegistry(load_settings().classifiers_dir).versions():
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

    ModelRegistry(load_settings().classifiers_dir).promote(version)
    typer.echo(f"current classifier: {version}")


@models_app.command("rollback")
def models_rollback() -> None:
    """Make the previously promoted classifier current again."""
    from nlp_assises.classify import ModelRegistry

    typer.echo(f"current classifier: {ModelRegistry(load_settings().classifiers_dir).rollback()}")
