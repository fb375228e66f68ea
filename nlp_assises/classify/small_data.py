"""Settings ``nlp-assises train`` applies when the labelled set is small (a new consultation's
first few hundred labels).

The defaults of ``ThemeClassifier`` were chosen on 1,040 labelled texts; with a few hundred, the
word n-gram block at ×2 carries phrases seen once or twice and the model leans on them. Chosen by
repeated 5-fold CV inside the dev half of 259 hand-labelled real answers (Grand Débat Q134 on a
4-theme scheme, ``bench/few_label.py``, ``docs/classifier.md``), over C ∈ {1, 4, 16} and word
n-grams ×{0, 1, 2}: words ×1 lift CV macro-F1 from 0.676 to 0.744 (static embedder); C=4 and
C=16 tie (0.7442 / 0.7438), the grid's best is kept. The same CV on the larger dev halves
still puts these settings above the defaults (C=16, words ×2): 0.7731 against 0.7413 on 431
answers, 0.7657 against 0.7564 on 626, so "small" now reaches 1,000. Larger sets keep the
defaults.
"""

from __future__ import annotations

# Labelled texts. The defaults were chosen on 1,040 (writers A-D), where words ×2 measured best;
# measured here up to 626 (the settings below still better): "small" stops below the first.
SMALL_SET = 1000
SMALL_SET_PARAMS = {"C": 4.0, "word_weight": 1.0}


def small_set_params(n_labelled: int) -> dict:
    """``ThemeClassifier`` keyword arguments for a labelled set of ``n_labelled`` texts: the
    small-set settings below ``SMALL_SET``, none (the defaults) from there on."""
    return dict(SMALL_SET_PARAMS) if n_labelled < SMALL_SET else {}
