"""``nlp-assises keys``: API keys (create, a local writer key, list, revoke)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nlp_assises.cli.common import keys_app, load_settings


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key.")],
    role: Annotated[str, typer.Option(help="portal, writer or admin.")] = "writer",
) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    from nlp_assises.keys import create_key
    from nlp_assises.store import Store

    typer.echo(create_key(Store.from_settings(load_settings()), name, role))


@keys_app.command("local")
def keys_local(
    file: Annotated[Path, typer.Argument(help="Where the key is kept (created if missing).")],
) -> None:
    """A writer key for this machine's pages, kept in FILE (what `make run` uses)."""
    from nlp_assises.keys import create_key, verify_key
    from nlp_assises.store import Store

    settings = load_settings()
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

    for key in list_keys(Store.from_settings(load_settings())):
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.id}\t{key.name}\t{key.role}\t{key.prefix}…\t{state}")


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke the key with this id."""
    from nlp_assises.keys import revoke_key
    from nlp_assises.store import Store

    revoke_key(Store.from_settings(load_settings()), key_id)
    typer.echo(f"key {key_id} revoked")
