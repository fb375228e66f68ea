"""A small proposal keeps the members that say its label.

Groups of fewer than ``CoherenceCheck.from_size`` contributions are not coherence-checked (a
handful of people rarely share one word), and the check of larger ones asks for one core word.
Blind readers of the real answers said the members make their label's proposal 0.55 of the
time in proposals under 10 contributions and 0.69 under 30, against 0.96 from 100
(docs/proposals.md). Whether a member says at least half of its label's content words told
them apart: 0.93 "oui" when it says all of them, 0.51 half, 0.06 none. So, once a small group is
named (on all its members, as before), a member that says fewer than ``share`` of the label's
content words leaves it, and a group left with fewer than ``min_size`` contributions is not
shown: "nothing shown as a finding the contributions do not support" (issue 13). The label's own
sentence always stays, and the members that stay keep the label readers judged.

An option (``ProposalClusterer(label_check_below=...)``), off by default: on the real answers
readers' "oui" rose from 0.71 to 0.79 for a fifth fewer answers clustered, but a proposal said
in other words (the team's held-out writers paraphrase each idea) loses most of its members,
and discovery ARI on them fell to near 0 (docs/proposals.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nlp_assises.clustering.labels import content_stems
from nlp_assises.clustering.units import Unit


@dataclass(frozen=True)
class LabelCheck:
    """``below``: groups of fewer contributions than this are checked (None: none);
    ``share``: the share of its label's content words a member must say;
    ``min_size``: the fewest contributions a checked group keeps to be shown."""

    below: int | None = 30
    share: float = 0.5
    min_size: int = 3

    def applies(self, indices: Sequence[int], units: Sequence[Unit]) -> bool:
        """Whether the group of ``units[i] for i in indices`` is checked (its size counts
        contributions, not sentences)."""
        return self.below is not None and _contributions(indices, units) < self.below

    def says(self, words: frozenset[str], text: str) -> bool:
        """Whether ``text`` says enough of a label's content ``words`` (``content_stems``)."""
        if not words:
            return True
        return len(content_stems(text) & words) >= self.share * len(words)

    def keep(self, indices: Sequence[int], units: Sequence[Unit], label: str, source: Unit):
        """The members of ``indices`` that stay under ``label`` (taken from ``source``), or
        [] when the group is shown no more; a group this check does not apply to is kept."""
        if not self.applies(indices, units):
            return list(indices)
        words = content_stems(label)
        kept = [i for i in indices if units[i] is source or self.says(words, units[i].text)]
        return kept if _contributions(kept, units) >= self.min_size else []


def _contributions(indices: Sequence[int], units: Sequence[Unit]) -> int:
    return len({units[i].contribution_id for i in indices})
