"""`python -m bot backup FILE` / `restore FILE`: consistent copies of the store (CLI only).

SQLite uses its online backup API (a consistent copy while the bot keeps running); PostgreSQL
uses pg_dump's custom format and pg_restore.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def _sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.database or url.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq_url(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run(*command: str) -> None:
    if shutil.which(command[0]) is None:
        raise RuntimeError(f"{command[0]} is not installed (PostgreSQL client tools)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[:500]}")


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
            "pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(database_url)
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
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        _sqlite_copy(source, target)
    elif backend == "postgresql":
        if shutil.which("pg_restore") is None:
            raise RuntimeError("pg_restore is not installed (PostgreSQL client tools)")
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(database_url)}",
            str(source),
        )
    else:
        raise ValueError(f"restores of {backend} are not supported")
