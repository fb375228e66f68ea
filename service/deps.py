"""Dependencies: settings, the pipeline (models loaded once), the store, and key checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from nlp_assises.keys import role_allows, verify_key
from nlp_assises.pipeline import Pipeline
from nlp_assises.settings import Settings
from nlp_assises.store.models import ApiKey

COOKIE = "nlp_assises_key"


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


def presented_key(request: Request) -> str | None:
    header = request.headers.get("x-api-key")
    if header:
        return header
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(COOKIE)


def current_key(request: Request) -> ApiKey | None:
    """The caller's key record (name and role), or None without a valid key."""
    pipeline: Pipeline = request.app.state.pipeline
    key = presented_key(request)
    return verify_key(pipeline.store, key) if key else None


def current_role(request: Request) -> str | None:
    """The caller's role, or None without a valid key."""
    record = current_key(request)
    return record.role if record else None


def require_key(role: str):
    """A dependency that lets through callers with ``role`` or above, and gives their key."""

    def check(request: Request) -> ApiKey:
        found = current_key(request)
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "an API key is required (header X-API-Key)"
            )
        if not role_allows(found.role, role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role!r} role")
        return found

    return check


def require(role: str):
    """A dependency that lets through callers with ``role`` or above, and gives their role."""
    check_key = require_key(role)

    def check(request: Request) -> str:
        return check_key(request).role

    return check


def _classify_role(request: Request) -> str | None:
    settings: Settings = request.app.state.settings
    if settings.require_portal_key:
        return require("portal")(request)
    return current_role(request)


async def classify_access(request: Request) -> str | None:
    """Classify is public unless ``require_portal_key`` is set. The portal's usual call, public
    and without a key, is answered on the event loop; a key is checked against the store in a
    worker thread."""
    settings: Settings = request.app.state.settings
    if not settings.require_portal_key and presented_key(request) is None:
        return None
    return await run_in_threadpool(_classify_role, request)


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
