"""The portal's endpoints: classify one contribution or a batch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from nlp_assises.privacy import classify_view
from service.deps import SettingsDep, classify_access, rate_limited
from service.schemas import BatchRequest, BatchResponse, ClassifyRequest, ClassifyResponse, ErrorOut

router = APIRouter(prefix="/v1", tags=["classification"])
_ERRORS = {
    413: {"model": ErrorOut},
    422: {"model": ErrorOut},
    401: {"model": ErrorOut},
    429: {"model": ErrorOut, "description": "Over the rate limit (see Retry-After)"},
}


def _redact(row: dict, role: str | None) -> dict:
    """The answer as the caller's role may see it (no key: the lowest role)."""
    row = classify_view(row, role)
    row.pop("margin", None)
    row.pop("confidence", None)
    return row


def _check_text(text: str, limit: int, where: str = "text") -> None:
    """Whitespace-only text is refused by the schema (422); a text that is empty once cleaned
    (control characters only) gets an answer: hors_theme, needs_review."""
    if len(text) > limit:
        raise HTTPException(413, f"{where} is {len(text)} characters; the limit is {limit}")


@router.post(
    "/classify",
    dependencies=[Depends(rate_limited("classify"))],
    response_model=ClassifyResponse,
    responses=_ERRORS,
    summary="Themes of one contribution",
)
async def classify(
    body: ClassifyRequest,
    request: Request,
    settings: SettingsDep,
    role: Annotated[str | None, Depends(classify_access)],
) -> dict:
    """Cleans the text (repairs listed, personal data pseudonymised), then returns calibrated
    scores per theme, the themes retained, the primary theme (or `hors_theme`) and whether a
    person should review the decision."""
    _check_text(body.text, settings.max_text_chars)
    (row,) = await request.app.state.batcher.submit([body.text])
    return _redact(dict(row), role)


@router.post(
    "/classify/batch",
    dependencies=[Depends(rate_limited("batch"))],
    response_model=BatchResponse,
    responses=_ERRORS,
    summary="Themes of several contributions",
)
async def classify_batch(
    body: BatchRequest,
    request: Request,
    settings: SettingsDep,
    role: Annotated[str | None, Depends(classify_access)],
) -> dict:
    if len(body.items) > settings.max_batch_items:
        raise HTTPException(
            413, f"{len(body.items)} items; the limit is {settings.max_batch_items}"
        )
    for i, item in enumerate(body.items):
        _check_text(item.text, settings.max_text_chars, where=f"items[{i}].text")
    rows = await request.app.state.batcher.submit([item.text for item in body.items])
    return {
        "items": [
            _redact({"id": item.id, **dict(row)}, role)
            for item, row in zip(body.items, rows, strict=True)
        ]
    }
