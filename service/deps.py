"""Dependencies: settings, the pipeline (models loaded once), the store, key checks and rate
limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from nlp_assises.keys import role_allows, verify_key
from nlp_assises.pipeline import Pipeline
from nlp_assises.settings import Settings
from nlp_assises.store.models import ApiKey
from nlp_assises.web_sessions import session_key
from service.security import SESSION_COOKIE


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


def presented_key(request: Request) -> str | None:
    """The key sent in a header (X-API-Key, or Authorization: Bearer); cookies never carry one."""
    header = request.headers.get("x-api-key")
    if header:
        return header
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def current_key(request: Request) -> ApiKey | None:
    """The caller's key record (name and role), or None without a valid key: from a header, or
    else from the pages' session cookie (unsafe methods with the cookie have passed the CSRF
    check in :class:`service.security.CsrfGuard`)."""
    pipeline: Pipeline = request.app.state.pipeline
    key = presented_key(request)
    if key:
        return verify_key(pipeline.store, key)
    return session_key(pipeline.store, request.cookies.get(SESSION_COOKIE))


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
    """Classify is authenticated by header only: the pages' session cookie plays no part."""
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    record = verify_key(request.app.state.pipeline.store, key) if key else None
    if settings.require_portal_key:
        if record is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "an API key is required (header X-API-Key)"
            )
        if not role_allows(record.role, "portal"):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the 'portal' role")
    return record.role if record else None


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


def rate_limited(name: str):
    """A dependency counting the caller's requests to ``name`` (see :mod:`service.ratelimit`):
    per valid API key, else per client address; 429 with Retry-After past the limit."""

    async def check(
        request: Request, role: Annotated[str | None, Depends(classify_access)]
    ) -> None:
        await request.app.state.rate_limits.check(name, request, presented_key(request), role)

    return check
