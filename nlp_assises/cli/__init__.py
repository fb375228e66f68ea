"""The ``nlp-assises`` command line (contract in ``shared/CONTRACTS.md``), a thin layer over the
library: every command reads the contract's formats, writes UTF-8 JSON/JSONL atomically, shows a
progress bar on a terminal, and fails with one line, never a traceback.

One module a group of commands: ``texts`` (clean, classify, train, evaluate), ``consultation``
(cluster, ingest, run, report, serve), ``models`` and ``keys``; ``entry`` turns errors into one
line. Importing the modules registers their commands on ``app``, in the order ``--help`` shows.
"""

# isort: off
from nlp_assises.cli import texts, consultation, models, keys  # noqa: F401  (registers commands)

# isort: on
from nlp_assises.cli.common import app
from nlp_assises.cli.entry import main

__all__ = ["app", "main"]
