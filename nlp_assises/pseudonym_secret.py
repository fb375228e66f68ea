"""The key of the keyed hash that turns authors into pseudonyms.

Whoever knows it can re-identify authors by hashing candidate names, so a shared default
("change-me") is no key at all: each installation gets its own random secret at first start,
kept beside the store in ``data_dir/pseudonym.secret`` (mode 0600, like ``var/writer.key``),
unless ``NLP_ASSISES_PSEUDONYM_SECRET`` sets one, which must then be strong.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from nlp_assises.errors import ConfigurationError

FILE_NAME = "pseudonym.secret"
MIN_LENGTH = 16
WEAK = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "change_me",
        "secret",
        "s3cret",
        "password",
        "default",
        "test",
        "nlp-assises",
        "pseudonym-secret",
        "please-change-me",
    }
)


def check(secret: str | None) -> None:
    """Refuse a configured secret that is a known default or too short to resist guessing."""
    if secret is None:
        return
    if secret.strip().lower() in WEAK or len(secret.strip()) < MIN_LENGTH:
        raise ConfigurationError(
            "NLP_ASSISES_PSEUDONYM_SECRET is a known default or shorter than "
            f"{MIN_LENGTH} characters: unset it (a random secret is then kept in "
            f"DATA_DIR/{FILE_NAME}) or set it to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


def installation_secret(data_dir: Path) -> str:
    """This installation's secret: read from ``data_dir``, or made and kept there the first
    time. Several processes starting together agree on one (the file appears whole, once)."""
    path = Path(data_dir) / FILE_NAME
    found = _read(path)
    if found is not None:
        check(found)
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    partial = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    found = _read(path)
    if found is None:
        raise ConfigurationError(f"could not keep the pseudonym secret in {path}")
    return found


def resolve(configured: str | None, data_dir: Path) -> str:
    """The secret in use: the configured one (checked), else the installation's."""
    if configured is not None:
        check(configured)
        return configured
    return installation_secret(data_dir)
