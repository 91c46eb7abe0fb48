"""`python -m bot backup FILE` / `restore FILE`: consistent copies of the store (CLI only).

SQLite uses its online backup API (a consistent copy while the bot keeps running); PostgreSQL
uses pg_dump's custom format and pg_restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from store.db import head_revision


def _sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.database or url.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(database_url: str) -> str:
    """The URL for libpq tools without its password (that goes in PGPASSWORD, never argv)."""
    # URL.set(password=None) keeps the password; _replace drops it.
    url = make_url(database_url).set(drivername="postgresql")._replace(password=None)
    return url.render_as_string(hide_password=False)


def _libpq_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    password = make_url(database_url).password
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run(*command: str, database_url: str) -> str:
    if shutil.which(command[0]) is None:
        raise RuntimeError(f"{command[0]} is not installed (PostgreSQL client tools)")
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=_libpq_env(database_url)
    )
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise RuntimeError(f"{command[0]} failed: {first[:300]}")
    return done.stdout


def _check_sqlite_backup(source: Path) -> None:
    """Refuse a file that is not a sound SQLite backup of this version's schema."""
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()
            if not verdict or verdict[0] != "ok":
                raise ValueError(f"{source} is damaged (integrity check: {verdict})")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        db.close()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{source} is not a backup of this bot: {exc}") from exc
    _check_revision(source, row[0] if row else None)


def _check_revision(source: Path, revision: str | None) -> None:
    if revision != head_revision():
        raise ValueError(
            f"{source} has schema revision {revision}, this version needs {head_revision()}: "
            "restore it with the version that made it, then run `python -m bot migrate`"
        )


def _check_postgres_backup(database_url: str, source: Path) -> None:
    """Read the dump's table of contents and its schema revision without touching the database."""
    listing = _run("pg_restore", "--list", str(source), database_url=database_url)
    if "TABLE DATA" not in listing:
        raise ValueError(f"{source} holds no table data")
    data = _run(
        "pg_restore",
        "--data-only",
        "--table=alembic_version",
        "--file=-",
        str(source),
        database_url=database_url,
    )
    lines = data.splitlines()
    revision = None
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            revision = lines[number + 1].strip() or None
    _check_revision(source, revision)


def backup(database_url: str, target: Path) -> None:
    """Write a consistent backup of the database to `target`."""
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        source = _sqlite_path(database_url)
        if not source.is_file():
            raise FileNotFoundError(f"no database at {source}")
        _sqlite_copy(source, target)
    elif backend == "postgresql":
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--file={target}",
            _libpq_url(database_url),
            database_url=database_url,
        )
    else:
        raise ValueError(f"backups of {backend} are not supported")


def restore(database_url: str, source: Path) -> None:
    """Replace the database's content with a backup made by `backup` (stop the bot first)."""
    if not source.is_file():
        raise FileNotFoundError(f"no backup at {source}")
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        target = _sqlite_path(database_url)
        _check_sqlite_backup(source)
        # The backup API writes through a connection to the live file, so its WAL is
        # checkpointed or replaced by SQLite itself, never deleted behind its back.
        _sqlite_copy(source, target)
    elif backend == "postgresql":
        if shutil.which("pg_restore") is None:
            raise RuntimeError("pg_restore is not installed (PostgreSQL client tools)")
        _check_postgres_backup(database_url, source)
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(database_url)}",
            str(source),
            database_url=database_url,
        )
    else:
        raise ValueError(f"restores of {backend} are not supported")
