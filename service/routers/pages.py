"""The writers' pages, in French, server-rendered (no front-end build step).

Pages show proposals and pseudonymised quotes, so they need a writer key, entered once on the
sign-in page; it opens a server-side session whose opaque token is kept in an http-only cookie
(:mod:`service.security`), and every form carries a CSRF token. Page data comes from
:mod:`nlp_assises.workspace`; endpoints are plain ``def`` so the database work runs in the thread
pool, off the event loop. Corrections are plain HTML forms posted to ``/corriger``, which goes
through ``Pipeline.correct`` and redirects back with a message (post/redirect/get).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup

from nlp_assises import workspace
from nlp_assises.corrections import KINDS, Correction, CorrectionError, split_id
from nlp_assises.keys import role_allows, verify_key
from nlp_assises.privacy import contribution_view
from nlp_assises.scheme import HORS_THEME
from nlp_assises.store.models import ApiKey
from nlp_assises.web_sessions import end_session, start_session
from service.deps import PipelineDep, current_key
from service.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    clear_session_cookie,
    session_lifetime,
    set_session_cookie,
)

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


@pass_context
def csrf_field(context) -> Markup:
    """The hidden CSRF field every POST form of the pages carries (token from asgi-csrf)."""
    token = context["request"].scope.get("csrftoken")
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, token() if token else ""
    )


templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["HORS_THEME"] = HORS_THEME
templates.env.globals["REPAIR_KINDS"] = workspace.REPAIR_KINDS
router = APIRouter(include_in_schema=False)

FLASH = "nlp_assises_flash"
Offset = Annotated[int, Query(ge=0, le=100_000_000)]

DONE = {
    "rename_proposal": "La proposition est renommée.",
    "merge_proposals": "Les propositions sont fusionnées.",
    "split_proposal": "La nouvelle proposition est créée.",
    "move_contribution": "Les thèmes de la contribution sont enregistrés.",
    "confirm_review": "Le classement est confirmé.",
    "pick_quote": "La citation est retenue pour le rapport.",
    "unpick_quote": "La citation est retirée du rapport.",
}


class SignIn(Exception):
    """Raised by :func:`_writer` when the caller must sign in (turned into a redirect)."""


def _writer(request: Request) -> ApiKey:
    key = current_key(request)
    if key is None or not role_allows(key.role, "writer"):
        raise SignIn
    return key


def _safe_target(path: str | None, default: str = "/") -> str:
    """Only local paths: never redirect to another site."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return default


def _render(
    request: Request, template: str, context: dict, key: ApiKey, status_code: int = 200
) -> HTMLResponse:
    flash = request.cookies.get(FLASH)
    response = templates.TemplateResponse(
        request,
        template,
        {
            **context,
            "user": key.name,
            "admin": role_allows(key.role, "admin"),
            "flash": unquote(flash) if flash else None,
            "path": request.url.path,
            "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        },
        status_code=status_code,
    )
    if flash:
        response.delete_cookie(FLASH)
    return response


def _not_found(request: Request, key: ApiKey, what: str) -> HTMLResponse:
    return _render(request, "not_found.html", {"what": what}, key, status_code=404)


def page(handler):
    """Pages send callers without a writer key to the sign-in page."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        request: Request = kwargs["request"]
        try:
            return handler(*args, **kwargs)
        except SignIn:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/connexion?suite={quote(target)}", status_code=303)

    return wrapper


# -- sign in and out ---------------------------------------------------------------------------
@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, suite: str = "/", erreur: int = 0):
    return templates.TemplateResponse(
        request,
        "login.html",
        {"suite": _safe_target(suite), "erreur": erreur, "path": "/connexion"},
    )


@router.post("/connexion")
def login(
    request: Request,
    pipeline: PipelineDep,
    cle: Annotated[str, Form()],
    suite: Annotated[str, Form()] = "/",
):
    record = verify_key(pipeline.store, cle.strip())
    target = _safe_target(suite)
    if record is None or not role_allows(record.role, "writer"):
        return RedirectResponse(f"/connexion?erreur=1&suite={quote(target)}", status_code=303)
    end_session(pipeline.store, request.cookies.get(SESSION_COOKIE))  # no session fixation
    token = start_session(pipeline.store, record, session_lifetime(request.app.state.settings))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, token)
    return response


@router.post("/deconnexion")
def logout(request: Request, pipeline: PipelineDep):
    """Ends the session in the store, not only in this browser: a copy of the cookie is dead."""
    end_session(pipeline.store, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/connexion", status_code=303)
    clear_session_cookie(response, request)
    return response


# -- pages -------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
@page
def overview(request: Request, pipeline: PipelineDep):
    key = _writer(request)
    data = workspace.overview(pipeline.store, pipeline.scheme)
    return _render(request, "overview.html", {"data": data, "themes": pipeline.scheme.themes}, key)


@router.get("/themes/{theme_id}", response_class=HTMLResponse)
@page
def theme_page(theme_id: str, request: Request, pipeline: PipelineDep):
    key = _writer(request)
    theme = workspace.theme_view(pipeline.store, pipeline.scheme, theme_id, role=key.role)
    if theme is None:
        return _not_found(request, key, "Ce thème n'existe pas.")
    return _render(request, "theme.html", {"theme": theme}, key)


@router.get("/propositions/{proposal_id}", response_class=HTMLResponse)
@page
def proposal_page(proposal_id: str, request: Request, pipeline: PipelineDep, debut: Offset = 0):
    key = _writer(request)
    view = workspace.proposal_view(
        pipeline.store, pipeline.scheme, proposal_id, offset=debut, role=key.role
    )
    if view is None:
        return _not_found(
            request, key, "Cette proposition n'existe pas ou plus (fusionnée ou recalculée)."
        )
    return _render(request, "proposal.html", {"view": view}, key)


@router.get("/contributions/{contribution_id}", response_class=HTMLResponse)
@page
def contribution_page(contribution_id: str, request: Request, pipeline: PipelineDep):
    key = _writer(request)
    view = workspace.contribution_view(
        pipeline.store,
        pipeline.scheme,
        contribution_id,
        role=key.role,
    )
    if view is None:
        return _not_found(request, key, "Cette contribution n'existe pas.")
    return _render(
        request, "contribution.html", {"view": view, "themes": pipeline.scheme.themes}, key
    )


@router.get("/recherche", response_class=HTMLResponse)
@page
def search_page(
    request: Request,
    pipeline: PipelineDep,
    q: Annotated[str | None, Query(max_length=500)] = None,
    mode: str = "mots",
    comme: Annotated[str | None, Query(max_length=64)] = None,
    debut: Offset = 0,
):
    key = _writer(request)
    results = workspace.search(
        pipeline,
        q,
        mode="semantic" if mode == "sens" else "keyword",
        like=comme or None,
        offset=debut,
        role=key.role,
    )
    found = pipeline.store.get(comme) if comme else None
    like = {"id": found.id, "text": contribution_view(found, key.role)["text"]} if found else None
    return _render(
        request,
        "search.html",
        {"q": q or "", "mode": mode, "like": like, "results": results},
        key,
    )


@router.get("/a-relire", response_class=HTMLResponse)
@page
def review_page(request: Request, pipeline: PipelineDep, debut: Offset = 0):
    key = _writer(request)
    queue = workspace.review_queue(pipeline.store, offset=debut, role=key.role)
    return _render(request, "review.html", {"queue": queue, "themes": pipeline.scheme.themes}, key)


@router.get("/corrections", response_class=HTMLResponse)
@page
def corrections_page(request: Request, pipeline: PipelineDep, debut: Offset = 0):
    key = _writer(request)
    pager, rows = workspace.corrections(pipeline.store, offset=debut, role=key.role)
    return _render(request, "corrections.html", {"pg": pager, "rows": rows}, key)


# -- corrections from the forms ----------------------------------------------------------------
@router.post("/corriger")
@page
def correct(
    request: Request,
    pipeline: PipelineDep,
    kind: Annotated[str, Form(max_length=32)],
    target: Annotated[str, Form(max_length=96)],
    retour: Annotated[str, Form(max_length=2000)] = "/",
    label: Annotated[str | None, Form(max_length=1000)] = None,
    sources: Annotated[list[str] | None, Form()] = None,
    contribution_ids: Annotated[list[str] | None, Form()] = None,
    themes: Annotated[list[str] | None, Form()] = None,
    contribution_id: Annotated[str | None, Form(max_length=64)] = None,
    text: Annotated[str | None, Form(max_length=10_000)] = None,
    start: Annotated[int | None, Form(ge=0)] = None,
):
    key = _writer(request)
    back = _safe_target(retour)
    payload = {
        "label": label,
        "sources": sources,
        "contribution_ids": contribution_ids,
        "themes": themes,
        "contribution_id": contribution_id,
        "text": text,
        "start": start,
    }
    payload = {k: v for k, v in payload.items() if v not in (None, "", [])}
    try:
        stored = pipeline.correct(kind, target, payload, author=key.name)
    except CorrectionError as exc:
        message = f"Correction refusée : {exc}"
    else:
        message = DONE.get(kind, KINDS.get(kind, kind))
        if kind == "split_proposal":
            new = Correction(kind=kind, target=stored["target"], id=stored["id"])
            back = f"/propositions/{quote(split_id(new))}"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(FLASH, quote(message), httponly=True, samesite="strict", max_age=60)
    return response
