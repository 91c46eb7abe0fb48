"""`python -m bot [command]`: run the bot, chat locally, migrate, import and export."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from telegram import Update

from bot.app import build_application, close_store, open_store
from bot.startup import EXIT_SETTINGS, check_store, check_token, guarded, scrub
from core.logs import setup_logging
from core.settings import Settings
from kinds.dataset import dump_dataset
from kinds.export import export_dataset
from kinds.transfer import import_with_seed
from services.delivery import resume_broadcasts, send_due_briefings
from services.notices import send_due_notices
from store.db import create_engine, make_session_factory, setup_lock, upgrade_schema

NO_TOKEN = (
    "BOT_TOKEN is not set: put the token from @BotFather in .env or the environment "
    "(see .env.example), or try the bot locally with `python -m bot console`."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Peace talks briefing bot (Telegram)."
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.add_parser("run", help="run the bot with long polling (the default)")
    console = sub.add_parser("console", help="chat with the bot in this terminal, no Telegram")
    console.add_argument("--admin", action="store_true", help="act as an editor (admin)")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    imp = sub.add_parser("import", help="import facts from a JSON file (docs/data-format.md)")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--no-seed",
        action="store_true",
        help="into an empty store, import the file alone (by default the seed goes in first)",
    )
    exp = sub.add_parser("export", help="export every fact as JSON (to FILE or stdout)")
    exp.add_argument("file", type=Path, nargs="?")
    sub.add_parser(
        "send-briefings",
        help="deliver due briefings, unfinished broadcasts and correction notices once, and exit",
    )
    bak = sub.add_parser("backup", help="write a consistent backup of the database to FILE")
    bak.add_argument("file", type=Path)
    res = sub.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    res.add_argument("file", type=Path)
    sub.add_parser("webhook", help="serve Telegram's webhook instead of polling")
    sub.add_parser("web", help="serve only the public web pages and feeds (no Telegram)")
    return parser


CONSOLE_NEEDS_FAKE = (
    "The console needs the fake Telegram (fake_telegram/), which is not installed with the bot: "
    "run `python -m bot console` from the root of a clone of the repository."
)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_SETTINGS


async def _start_checks(settings: Settings) -> None:
    """Before polling: the token is accepted and the store opens (else `guarded` explains).

    PTB's run_polling runs post_init in a loop of its own and logs a rejected token itself, so
    both are checked first; `webhook` and `send-briefings` open the store in our own loop.
    """
    await check_token(settings)
    await check_store(settings)


def run_polling(settings: Settings) -> int:
    """Long-poll Telegram until interrupted."""
    token = settings.token
    if token is None:
        return _fail(NO_TOKEN)
    asyncio.run(_start_checks(settings))
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return int(app.bot_data.extra.get("exit_code", 0))


async def _with_store(
    settings: Settings, action: str, path: Path | None, *, seed: bool = True
) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with setup_lock(engine):
            await upgrade_schema(engine)
        if action == "migrate":
            print("Database schema is up to date.")
            return 0
        sessions = make_session_factory(engine)
        async with sessions() as session:
            if action == "import":
                assert path is not None
                raw = await asyncio.to_thread(path.read_bytes)
                seeded, report = await import_with_seed(session, raw, seed=seed)
                if seeded is not None and report.ok:
                    print(f"The store was empty, so the seed went in first: {seeded.summary()}")
                print(report.summary())
                for problem in report.errors:
                    print(f"  - {problem}")
                return 0 if report.ok else 1
            text = dump_dataset(await export_dataset(session))
        if path is None:
            sys.stdout.write(text)
        else:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
            print(f"Exported to {path}.", file=sys.stderr)
        return 0
    finally:
        await engine.dispose()


async def _send_briefings(settings: Settings) -> int:
    """Deliver every due briefing once, then exit (for cron or an external scheduler)."""
    if settings.token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    await check_token(settings)
    app = build_application(settings)
    await app.initialize()
    try:
        await open_store(app.bot_data)
        sessions = app.bot_data.sessions
        assert sessions is not None
        stats = await send_due_briefings(app.bot, sessions, settings)
        print(
            f"Briefings: {stats.sent} sent, {stats.failed} failed, {stats.retrying} to retry, "
            f"{stats.blocked} blocked, {stats.unknown} in doubt, {stats.skipped} skipped, "
            f"in {stats.seconds:.1f} s."
        )
        for run in await resume_broadcasts(app.bot, sessions, settings):
            print(
                f"Broadcast run {run.run_id}: {run.sent} sent, {run.failed} failed, "
                f"{run.retrying} to retry, {run.unknown} in doubt."
            )
        notes = await send_due_notices(app.bot, sessions, settings)
        print(
            f"Correction notices: {notes.sent} sent, {notes.failed} failed, "
            f"{notes.retrying} to retry, {notes.unknown} in doubt."
        )
        return 0 if stats.failed == 0 else 1
    finally:
        await close_store(app.bot_data)
        await app.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        return _fail(f"Bad setting {field}: {first['msg']} (see .env.example).")
    setup_logging(settings.log_level, settings.token, settings.log_format)
    command = args.command or "run"
    if command == "run":
        return guarded(settings, lambda: run_polling(settings))
    if command == "console":
        try:
            from bot.console import run_console
        except ModuleNotFoundError as exc:
            if exc.name != "fake_telegram":
                raise
            return _fail(CONSOLE_NEEDS_FAKE)
        return asyncio.run(run_console(settings, admin=args.admin))
    if command in ("migrate", "import", "export"):
        if command == "import" and not args.file.is_file():
            return _fail(f"No such file: {args.file}")
        path = getattr(args, "file", None)
        # SEED_ON_EMPTY=false means this store is never seeded, by the bot or by an import.
        seed = settings.seed_on_empty and not getattr(args, "no_seed", False)
        return guarded(
            settings, lambda: asyncio.run(_with_store(settings, command, path, seed=seed))
        )
    if command in ("backup", "restore"):
        from bot import backup

        action = backup.backup if command == "backup" else backup.restore

        def copy() -> int:
            try:
                action(settings.database_url, args.file)
            except (OSError, RuntimeError, ValueError, sqlite3.Error) as exc:
                return _fail(f"{command} failed: {scrub(str(exc), settings)}")
            print(f"{command.capitalize()} done: {args.file}")
            return 0

        return guarded(settings, copy)
    if command == "webhook":
        if settings.token is None:
            return _fail(NO_TOKEN)
        from bot.webhook import serve_webhook

        async def checked_webhook() -> int:
            await check_token(settings)
            return await serve_webhook(settings)

        return guarded(settings, lambda: asyncio.run(checked_webhook()))
    if command == "web":
        from bot.pages import serve_pages

        return guarded(settings, lambda: asyncio.run(serve_pages(settings)))
    if command == "send-briefings":
        return guarded(settings, lambda: asyncio.run(_send_briefings(settings)))
    return _fail(f"`{command}` is not available in this version yet.")
