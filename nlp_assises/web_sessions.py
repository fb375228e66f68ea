"""The pages' sign-in sessions, kept in the store so that signing out, expiry and revoking the
key end them on every server process.

The cookie holds a random 256-bit token; the store holds its SHA-256 hash (as for API keys, a
fast hash is enough for a random token), the key's id and the expiry: neither the cookie nor a
copy of the table gives the API key away, and a stolen table gives no usable cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from nlp_assises.store import Store
from nlp_assises.store.models import ApiKey, WebSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(store: Store, key: ApiKey, lifetime: timedelta) -> str:
    """A new session for ``key``; returns the token for the cookie (never stored in clear).
    Expired sessions are swept here, so the table stays small without a cron."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                token_hash=_hash(token), key_id=key.id, created_at=now, expires_at=now + lifetime
            )
        )
    return token


def session_key(store: Store, token: str | None) -> ApiKey | None:
    """The key behind a live session: not expired, not signed out, its key not revoked."""
    if not token:
        return None
    with store.session() as session:
        return session.scalar(
            select(ApiKey)
            .join(WebSession, WebSession.key_id == ApiKey.id)
            .where(
                WebSession.token_hash == _hash(token),
                WebSession.expires_at > datetime.now(UTC),
                ApiKey.revoked.is_(False),
            )
        )


def end_session(store: Store, token: str | None) -> None:
    """Sign out: the token no longer opens anything, whoever kept a copy of the cookie."""
    if token:
        with store.session() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))
