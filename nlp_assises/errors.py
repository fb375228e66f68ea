"""Errors that reach users: each says what is wrong and how to fix it, in one line."""

from __future__ import annotations


class NlpAssisesError(Exception):
    """Base class: the CLI prints these as one line, the API turns them into a 4xx JSON body."""


class ConfigurationError(NlpAssisesError):
    """A setting, model folder or scheme file is missing or wrong."""


class InputError(NlpAssisesError):
    """An input file or record cannot be read; the message names the file and the problem."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class ModelNotFoundError(ConfigurationError):
    """No trained model where one was expected."""


class ClusterError(NlpAssisesError):
    """The Dask cluster cannot be reached, or lost the work (workers dying over and over)."""
