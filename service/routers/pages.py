"""The writers' pages, in French, server-rendered (no front-end build step).

Pages show proposals and pseudonymised quotes, so they need a writer key, entered once on the
sign-in page and kept in an http-only cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from nlp_assises.keys import role_allows, verify_key
from nlp_assises.report import build_report
from service.deps import COOKIE, PipelineDep, current_role

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
router = APIRouter(include_in_schema=False)


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=303)


@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, suite: str = "/", erreur: int = 0):
    return templates.TemplateResponse(request, "login.html", {"suite": suite, "erreur": erreur})


@router.post("/connexion")
def login(pipeline: PipelineDep, cle: Annotated[str, Form()], suite: Annotated[str, Form()] = "/"):
    record = verify_key(pipeline.store, cle.strip())
    target = suite if suite.startswith("/") and not suite.startswith("//") else "/"
    if record is None or not role_allows(record.role, "writer"):
        return RedirectResponse(f"/connexion?erreur=1&suite={target}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cle.strip(), httponly=True, samesite="strict")
    return response


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, pipeline: PipelineDep):
    role = current_role(request)
    if role is None or not role_allows(role, "writer"):
        return _login_redirect(request)
    data = build_report(pipeline.store, pipeline.scheme, max_proposals=5, max_quotes=1)
    return templates.TemplateResponse(request, "overview.html", {"data": data})


@router.get("/themes/{theme_id}", response_class=HTMLResponse)
def theme_page(theme_id: str, request: Request, pipeline: PipelineDep):
    role = current_role(request)
    if role is None or not role_allows(role, "writer"):
        return _login_redirect(request)
    data = build_report(pipeline.store, pipeline.scheme, max_proposals=100, max_quotes=5)
    section = next((t for t in data.themes if t.id == theme_id), None)
    if section is None:
        return HTMLResponse("<h1>Thème inconnu</h1>", status_code=404)
    return templates.TemplateResponse(request, "theme.html", {"data": data, "theme": section})
