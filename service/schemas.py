"""Request and response schemas of the API (pydantic), with examples for ``/docs``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# "Not blank", spelt out: ``\S`` means different things to the OpenAPI reader (ECMA-262: U+0085
# is not a space, U+FEFF is), Python's ``re`` and pydantic's Rust engine (U+001C-U+001F), so a
# client could send a value the schema accepts and the server rejects. This class excludes every
# character any of them counts as a space, and reads the same in all three.
NOT_BLANK = (
    r"[^\t\n\u000b\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a"
    r"\u2028\u2029\u202f\u205f\u3000\ufeff]"
)

# Hard caps of the schema; the configured limits (settings) are lower and answered with 413.
MAX_TEXT = 1_000_000
MAX_ITEMS = 10_000
EXAMPLE_TEXT = (
    "Bonjour, il faudrait que les gendarmes passent plus souvent à pied dans le bourg, "
    "on ne les voit plus qu'en voiture."
)


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE_TEXT}]}
    )
    text: str = Field(
        ...,
        pattern=NOT_BLANK,
        max_length=MAX_TEXT,
        description="The contribution, as received (it is cleaned first).",
    )


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=128, description="Your id, echoed back.")
    text: str = Field(..., pattern=NOT_BLANK, max_length=MAX_TEXT)


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"items": [{"id": "portail-42", "text": EXAMPLE_TEXT}]}]},
    )
    items: list[BatchItem] = Field(..., max_length=MAX_ITEMS)


class RepairOut(BaseModel):
    """A repair as the caller's role may see it (nlp_assises.privacy): below admin, what may
    hold personal data is null and ``withheld`` says why."""

    kind: str
    before: str | None = Field(None, description="Null when withheld (personal data) unless admin.")
    after: str | None = Field(
        None, description="Null when withheld: a whole-text repair or personal data, unless admin."
    )
    start: int
    length: int | None = Field(None, description="Length of `before` when it is withheld.")
    withheld: Literal["block", "personal"] | None = Field(
        None,
        description="`block`: a removed block or whole-text repair (signature, quoted reply, "
        "forwarded header, HTML, invalid Unicode); `personal`: it holds personal data.",
    )


class ClassifyResponse(BaseModel):
    id: str | None = None
    text: str = Field(..., description="The cleaned, pseudonymised text.")
    repairs: list[RepairOut]
    scores: dict[str, float] = Field(..., description="Calibrated probability of each theme.")
    labels: list[str] = Field(..., description="Themes retained (possibly several).")
    primary: str = Field(..., description="The main theme, or hors_theme.")
    needs_review: bool
    model_version: str
    language: str


class BatchResponse(BaseModel):
    items: list[ClassifyResponse]


class Health(BaseModel):
    status: str
    model_version: str | None = None
    embedder: str | None = None


class ContributionOut(BaseModel):
    id: str
    text: str
    date: datetime | None
    source: str | None
    channel: str | None
    language: str
    flags: list[str]
    campaign_id: str | None
    labels: list[str] = []
    primary: str | None = None
    needs_review: bool | None = None
    scores: dict[str, float] = {}


class ContributionDetail(ContributionOut):
    repairs: list[RepairOut]
    original: str | None = Field(None, description="Admins only.")
    proposals: list[str] = []


class Page(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ContributionOut]


class ThemeOut(BaseModel):
    id: str
    label: str
    description: str
    contributions: int
    share: float
    in_no_proposal: int | None = Field(
        None,
        description="Contributions of the theme (non-answers apart) in none of its emerging "
        "proposals; null before any clustering.",
    )


class Quote(BaseModel):
    contribution_id: str
    text: str
    start: int | None = None


class SubProposalOut(BaseModel):
    """One of a large proposal's main variants (its id is the parent's, then its rank)."""

    id: str
    label: str
    keywords: list[str]
    size: int = Field(description="Contributions that make this variant.")
    people: int = Field(description="People among them (a campaign counts once).")
    contributions: list[str] = Field(description="Their ids.")
    quotes: list[Quote]


class ClusterOut(BaseModel):
    id: str
    theme: str
    label: str
    keywords: list[str]
    size: int
    people: int
    campaign_copies: int
    share: float
    quotes: list[Quote]
    first_date: datetime | None = None
    last_date: datetime | None = None
    sub_proposals: list[SubProposalOut] = Field(
        default_factory=list,
        description="Its main variants, largest first (proposals of at least "
        "NLP_ASSISES_SUB_PROPOSAL_MIN_SIZE contributions, 12 by default); a contribution in "
        "none stays at the proposal's level only.",
    )


class ErrorOut(BaseModel):
    error: str
    detail: list | dict | str | None = None


class IngestItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., pattern=NOT_BLANK, max_length=MAX_TEXT)
    id: str | None = Field(None, max_length=64)
    date: datetime | None = None
    source: str | None = Field(None, max_length=255)
    author: str | None = Field(None, max_length=255, description="Stored as a pseudonym only.")
    themes: list[str] | None = Field(None, description="Labels, for training or evaluation.")


class IngestRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "portail-42",
                            "text": EXAMPLE_TEXT,
                            "date": "2020-01-15T10:00:00+01:00",
                            "source": "portail",
                        }
                    ]
                }
            ]
        },
    )
    items: list[IngestItem] = Field(..., max_length=MAX_ITEMS)


class IngestReportOut(BaseModel):
    new: int
    duplicate: int
    rejected: int
    rejections: list[dict]
    ids: list[str]


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["recluster", "classify", "retrain"]


class JobOut(BaseModel):
    """A job: queued, running (under a lease its server process renews), done or failed."""

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    queued_at: datetime
    started_at: datetime | None = Field(
        description="When its latest attempt started; null while it waits in the queue."
    )
    finished_at: datetime | None
    heartbeat_at: datetime | None = Field(description="The running attempt's last heartbeat.")
    lease_until: datetime | None = Field(
        description="Without a heartbeat by then, its process is taken for dead and the job "
        "is queued again (or failed after max_attempts)."
    )
    attempts: int = Field(description="Attempts started so far.")
    max_attempts: int
    worker: str | None = Field(description="The server process (host:pid:tag) running it.")
    result: dict
    error: str | None


class SearchHit(BaseModel):
    id: str
    text: str
    score: float
    primary: str | None = None


CorrectionKind = Literal[
    "rename_proposal",
    "merge_proposals",
    "split_proposal",
    "move_contribution",
    "confirm_review",
    "pick_quote",
    "unpick_quote",
]
ProposalId = Annotated[str, Field(min_length=1, max_length=96, pattern=NOT_BLANK)]
ContributionId = Annotated[str, Field(min_length=1, max_length=64, pattern=NOT_BLANK)]
Label = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
ThemeId = Annotated[str, Field(min_length=1, max_length=64, description="A theme id or hors_theme")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelPayload(_Strict):
    label: Label


class MergePayload(_Strict):
    sources: list[ProposalId] = Field(
        ..., min_length=1, max_length=100, description="Proposals merged into the target."
    )


class SplitPayload(_Strict):
    contribution_ids: list[ContributionId] = Field(
        ..., min_length=1, max_length=10_000, description="The new proposal's contributions."
    )
    label: Label


class ThemesPayload(_Strict):
    themes: list[ThemeId] = Field(
        ..., min_length=1, max_length=20, description="Theme ids, or just hors_theme."
    )


class QuotePayload(_Strict):
    contribution_id: ContributionId
    text: str = Field(..., min_length=1, max_length=10_000, pattern=NOT_BLANK)
    start: int = Field(0, ge=0, le=10_000_000, description="Offset of the quote in the text.")


class RenameProposal(_Strict):
    kind: Literal["rename_proposal"]
    target: ProposalId
    payload: LabelPayload


class MergeProposals(_Strict):
    kind: Literal["merge_proposals"]
    target: ProposalId
    payload: MergePayload


class SplitProposal(_Strict):
    kind: Literal["split_proposal"]
    target: ProposalId
    payload: SplitPayload


class MoveContribution(_Strict):
    kind: Literal["move_contribution", "confirm_review"]
    target: ContributionId
    payload: ThemesPayload


class PickQuote(_Strict):
    kind: Literal["pick_quote", "unpick_quote"]
    target: ProposalId
    payload: QuotePayload


CorrectionRequest = Annotated[
    RenameProposal | MergeProposals | SplitProposal | MoveContribution | PickQuote,
    Field(discriminator="kind"),
]
CORRECTION_EXAMPLES = {
    "rename": {
        "summary": "Rename a proposal",
        "value": {
            "kind": "rename_proposal",
            "target": "lien-003",
            "payload": {"label": "Revoir les gendarmes à pied dans les bourgs"},
        },
    },
    "merge": {
        "summary": "Merge lien-007 into lien-003",
        "value": {
            "kind": "merge_proposals",
            "target": "lien-003",
            "payload": {"sources": ["lien-007"]},
        },
    },
    "split": {
        "summary": "Make a new proposal of two contributions",
        "value": {
            "kind": "split_proposal",
            "target": "service-002",
            "payload": {
                "contribution_ids": ["FORM-0012", "FORM-0031"],
                "label": "Horaires d'ouverture",
            },
        },
    },
    "move": {
        "summary": "Mark a contribution off-theme",
        "value": {
            "kind": "move_contribution",
            "target": "FORM-0142",
            "payload": {"themes": ["hors_theme"]},
        },
    },
    "confirm": {
        "summary": "Confirm an uncertain classification",
        "value": {"kind": "confirm_review", "target": "FORM-0068", "payload": {"themes": ["lien"]}},
    },
    "pick": {
        "summary": "Pick a quote for the report",
        "value": {
            "kind": "pick_quote",
            "target": "lien-001",
            "payload": {
                "contribution_id": "FORM-0068",
                "text": "Je demande simplement à être prévenu.",
                "start": 213,
            },
        },
    },
}


class CorrectionOut(BaseModel):
    id: int
    kind: str
    target: str
    payload: dict
    author: str = Field(..., description="The name of the key that made it.")
    created_at: datetime | None


class CorrectionPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[CorrectionOut]
