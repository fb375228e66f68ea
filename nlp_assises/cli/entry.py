"""The entry point: usage errors and known errors become one line on stderr and an exit code,
never a traceback."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import click
import typer

from nlp_assises.cli.common import app
from nlp_assises.errors import NlpAssisesError


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
