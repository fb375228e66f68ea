"""``python -m nlp_assises.cli``: the same command line as ``nlp-assises``."""

from nlp_assises.cli.entry import main

main()
