"""What the writers' pages show, assembled from the store as plain dataclasses.

The service renders these; a notebook can print them. Every function reads a bounded amount:
aggregates are computed by the database and lists come a page at a time, so the pages stay fast
with 100,000 contributions in the store. One module a view: the consultation at a glance
(``consultation``), a theme's proposals and one proposal (``proposals``), one contribution
(``contribution``), lists a page at a time (``rows``).
"""

from nlp_assises.workspace.common import MAX_PAGE_SIZE, MAX_SIMILAR, PAGE_SIZE, Bar, Pager, bounded
from nlp_assises.workspace.consultation import CHANNELS, Overview, overview
from nlp_assises.workspace.contribution import (
    REPAIR_KINDS,
    ContributionView,
    Segment,
    ThemeScore,
    contribution_view,
    highlight_repairs,
)
from nlp_assises.workspace.proposals import (
    MemberView,
    ProposalCard,
    ProposalView,
    ThemeView,
    Unit,
    cut_around,
    locate,
    proposal_view,
    theme_view,
)
from nlp_assises.workspace.rows import (
    Row,
    RowPage,
    corrections,
    describe,
    review_queue,
    search,
    snippet,
)

__all__ = [
    "CHANNELS",
    "MAX_PAGE_SIZE",
    "MAX_SIMILAR",
    "PAGE_SIZE",
    "REPAIR_KINDS",
    "Bar",
    "ContributionView",
    "MemberView",
    "Overview",
    "Pager",
    "ProposalCard",
    "ProposalView",
    "Row",
    "RowPage",
    "Segment",
    "ThemeScore",
    "ThemeView",
    "Unit",
    "bounded",
    "contribution_view",
    "corrections",
    "cut_around",
    "describe",
    "highlight_repairs",
    "locate",
    "overview",
    "proposal_view",
    "review_queue",
    "search",
    "snippet",
    "theme_view",
]
