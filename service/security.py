"""The pages' session cookie and CSRF protection.

Sessions: the cookie holds an opaque random token, the store its hash
(:mod:`nlp_assises.web_sessions`), so signing out, expiry and a revoked key end a session on
every server process, and the cookie never carries the API key.

CSRF: `asgi-csrf <https://github.com/simonw/asgi-csrf>`_ (double-submit token in a signed
cookie). Chosen because it is ASGI middleware, so every unsafe request is checked by default
(no route can forget a dependency, as with fastapi-csrf-protect), and it reads the token from
plain HTML form fields (urlencoded and multipart) as well as from the ``X-CSRFToken`` header,
where starlette-csrf reads only a header (our forms work without JavaScript). Calls that carry
``X-API-Key`` or ``Authorization: Bearer`` are authenticated by that header alone (the cookie is
then ignored), so they need no token; a call authenticated by the session cookie does.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from asgi_csrf import Errors, asgi_csrf
from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from nlp_assises.settings import Settings

SESSION_COOKIE = "nlp_assises_session"
CSRF_COOKIE = "nlp_assises_csrf"
CSRF_FIELD = "csrftoken"  # asgi-csrf's form field (its multipart parser knows only this name)
# The pages' forms: checked even when the browser sends no cookie at all (a cross-site POST
# under SameSite=Lax), so no one can sign a writer in or out from another site.
PAGE_FORMS = {"/connexion", "/deconnexion", "/corriger"}
# Header-authenticated or public paths, never session-authenticated: not wrapped at all
# (asgi-csrf signs a fresh token for every cookie-less request, a cost classify need not pay).
UNGUARDED = ("/v1/classify", "/healthz", "/readyz", "/metrics", "/static/")
REFUSED_FR = (
    "Le formulaire a expiré ou ne vient pas de ce site (jeton de sécurité absent ou invalide). "
    "Rechargez la page et recommencez."
)


def is_https(scope: Scope, settings: Settings) -> bool:
    """Whether cookies get ``Secure``: the setting, else the request's scheme or the proxy's
    X-Forwarded-Proto (trusting it is harmless: at worst a client makes its own cookie Secure)."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    if scope.get("scheme") == "https":
        return True
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(timedelta(hours=settings.session_hours).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_https(request.scope, settings),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=is_https(request.scope, request.app.state.settings),
    )


def session_lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_hours)


def csrf_secret(settings: Settings) -> str:
    """The CSRF cookie's signing secret: the setting, else one made once and kept in data_dir,
    so every process of ``serve --workers N`` accepts the others' tokens."""
    if settings.csrf_secret:
        return settings.csrf_secret
    path = Path(settings.data_dir) / "csrf_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    for _ in range(100):  # another process may have created it and not written it yet
        secret = path.read_text().strip()
        if secret:
            return secret
        os.sched_yield()
    raise RuntimeError(f"{path} is empty")


async def _refused(scope: Scope, send: Send, error: Errors) -> None:
    """403: JSON for the API, a French page for the pages."""
    from service.metrics import REFUSED

    REFUSED.labels(reason="csrf").inc()
    if scope["path"].startswith("/v1/"):
        body = json.dumps(
            {
                "error": "CSRF token missing or invalid: a call authenticated by the session "
                "cookie must send it in the X-CSRFToken header (API clients: use X-API-Key)"
            }
        ).encode()
        kind = b"application/json"
    else:
        from service.routers.pages import templates

        body = templates.get_template("refus.html").render(message=REFUSED_FR).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header_authenticated(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"x-api-key" or (name == b"authorization" and value[:7].lower() == b"bearer "):
            return True
    return False


class CsrfGuard:
    """asgi-csrf around the app, with a ``Secure`` cookie over HTTPS; public and header-only
    paths go straight through."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        options = {
            "cookie_name": CSRF_COOKIE,
            "signing_secret": csrf_secret(settings),
            "always_protect": PAGE_FORMS,
            "skip_if_scope": _header_authenticated,
            "send_csrf_failed": _refused,
        }
        self.plain = asgi_csrf(app, cookie_secure=False, **options)
        self.secure = asgi_csrf(app, cookie_secure=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGUARDED):
            await self.app(scope, receive, send)
        elif is_https(scope, self.settings):
            await self.secure(scope, receive, send)
        else:
            await self.plain(scope, receive, send)
