"""API keys with roles: ``portal`` (classify only), ``writer`` (read, corrections), ``admin``
(ingest, re-cluster, retrain, read originals). Only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from nlp_assises.errors import ConfigurationError
from nlp_assises.store import Store
from nlp_assises.store.models import ApiKey

ROLES = ("portal", "writer", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def role_allows(role: str, needed: str) -> bool:
    """Roles are ordered: an admin may do what a writer may, a writer what the portal may."""
    return _RANK.get(role, -1) >= _RANK[needed]


def create_key(store: Store, name: str, role: str) -> str:
    """Create a key and return it: it is shown once and never stored in clear."""
    if role not in ROLES:
        raise ConfigurationError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    key = f"na_{role[0]}_{secrets.token_urlsafe(32)}"
    with store.session() as session:
        session.add(ApiKey(name=name, role=role, key_hash=_hash(key), prefix=key[:10]))
    return key


def verify_key(store: Store, key: str | None) -> ApiKey | None:
    """The key's record if it is valid and not revoked."""
    if not key:
        return None
    with store.session() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
        return row if row is not None and not row.revoked else None


def list_keys(store: Store) -> list[ApiKey]:
    with store.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(store: Store, key_id: int) -> None:
    with store.session() as session:
        row = session.get(ApiKey, key_id)
        if row is None:
            raise ConfigurationError(f"no API key with id {key_id}")
        row.revoked = True
