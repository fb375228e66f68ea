"""Engine, sessions, migrations and the write lock, for SQLite (WAL mode, foreign keys on) and
PostgreSQL (psycopg 3); the few dialect-specific statements of the store live here."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import Insert

from nlp_assises.errors import ConfigurationError

# The key of PostgreSQL's transaction-level advisory lock that serialises the store's
# read-modify-write transactions (see ``lock_for_write``); any constant works: "nlpa".
PG_WRITE_LOCK = 0x6E6C7061
PG_CONNECT_TIMEOUT = 10  # seconds: an unreachable server fails fast instead of hanging


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a 2xx on ingestion means it is on disk
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def describe(url: str | URL) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; a SQLite file's folder is created if missing."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with little context
        raise ConfigurationError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict = {}
    if parsed.get_backend_name() == "postgresql":
        # Dates come back in UTC whatever the server's TimeZone, as they do from SQLite.
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT, "options": "-c timezone=UTC"}
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (ImportError, NoSuchModuleError) as exc:
        hint = (
            " (pip install 'psycopg[binary]', or use a postgresql+psycopg:// URL)"
            if parsed.get_backend_name() == "postgresql"
            else ""
        )
        raise ConfigurationError(
            f"no database driver for {describe(parsed)}: {exc}{hint}"
        ) from None


def unreachable(engine: Engine, exc: DBAPIError) -> ConfigurationError:
    """The one-line error for a database that refuses or never answers (no password shown)."""
    url = engine.url
    where = describe(url)
    if url.get_backend_name() != "sqlite":
        where += f" (host {url.host or 'localhost'}, port {url.port or 'default'})"
    reason = " ".join(str(getattr(exc, "orig", exc) or exc).split())[:200]
    return ConfigurationError(
        f"cannot open the database {where}: {reason}; start the database server or fix "
        "NLP_ASSISES_DATABASE_URL"
    )


def check_reachable(engine: Engine) -> None:
    """Connect once, turning a refused or silent server into a one-line :func:`unreachable`."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise unreachable(engine, exc) from None


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("nlp_assises.store") / "migrations")
    )
    # ConfigParser interpolates %: a password holding one must be escaped.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def lock_for_write(connection: Connection) -> None:
    """Take the store's write lock for the rest of this transaction (the first statement).

    Read-modify-write transactions (migrations, corrections, a new clustering run) take it so a
    concurrent writer waits and then reads what this one committed, instead of overwriting it
    from a stale read. SQLite: ``BEGIN IMMEDIATE`` (one writer at a time, others wait for the
    busy timeout); PostgreSQL: a transaction-level advisory lock, released at commit/rollback.
    """
    name = connection.dialect.name
    if name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")


def insert_ignoring_conflicts(connection: Connection, table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL: a row whose key a
    concurrent writer has just inserted is skipped instead of failing the whole batch."""
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise ConfigurationError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent: a current schema is left as it is)."""
    config = alembic_config(engine)
    check_reachable(engine)
    with engine.begin() as connection:
        # Two processes opening a fresh database at once (`serve --workers 2`, a command
        # beside a reader) must not both create the schema: the first takes the write lock,
        # the other waits for it and then finds the schema current.
        lock_for_write(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` ("base": empty); for tests of the migrations."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        lock_for_write(connection)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
