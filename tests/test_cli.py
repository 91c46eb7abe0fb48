"""The command line as a newcomer meets it: no token, the console, import/export, real polling."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import CONSOLE_NEEDS_FAKE
from fake_telegram import FAKE_TOKEN
from fake_telegram.server import FakeTelegramServer
from tests.support import REPO, child_env, fake_env, finish, run_cli, spawn_bot, wait_for

SEED = json.loads((REPO / "store" / "seed" / "seed.json").read_text(encoding="utf-8"))


def test_without_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "python -m bot console" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_setting_exits_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path, ADMIN_IDS="12,abc")
    assert result.returncode == 2
    assert "ADMIN_IDS" in result.stderr and "Traceback" not in result.stderr


def test_console_answers_from_the_embedded_seeded_store(tmp_path: Path) -> None:
    result = run_cli(
        "console", cwd=tmp_path, stdin="/latest 3\n/rounds\n/positions kids\n/latest abc\n"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Newest event date first; among equal dates, the one stored last.
    order = sorted(enumerate(SEED["updates"]), key=lambda iu: (iu[1]["date"], iu[0]), reverse=True)
    assert order[0][1]["headline"] in out
    assert out.index(order[0][1]["headline"]) < out.index(order[1][1]["headline"])
    assert "Mon 2 Jun 2025" in out and "Source: Reuters" in out
    assert "Ciragan Palace" in out and "Hakan Fidan" in out
    assert "Deported children".upper() in out
    assert "is not a number of updates" in out
    assert "<b>" not in out, "HTML must be rendered for the terminal"
    assert (tmp_path / "data" / "briefing.db").is_file()
    assert "Traceback" not in result.stderr


def test_console_without_the_fake_says_one_line_and_exits_2(tmp_path: Path) -> None:
    # An installed bot has no fake_telegram: None in sys.modules makes its import fail the same way.
    script = (
        "import sys; sys.modules['fake_telegram'] = None; from bot.cli import main; "
        "sys.exit(main(['console']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        input="/latest 1\n",
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [CONSOLE_NEEDS_FAKE]
    assert "fake_telegram/" in CONSOLE_NEEDS_FAKE and result.stdout == ""


def test_console_pages_with_numbered_buttons(tmp_path: Path) -> None:
    result = run_cli("console", cwd=tmp_path, stdin="/search the\n")
    assert result.returncode == 0, result.stderr
    # Five "📖 U12" buttons open the hits in full; the pager comes after them.
    assert "[1] 📖 D1" in result.stdout and "[6] More ▶" in result.stdout
    pressed = run_cli("console", cwd=tmp_path, stdin="/search the\n6\n")
    assert "bot (edited)>" in pressed.stdout and "[6] ◀ Back" in pressed.stdout
    opened = run_cli("console", cwd=tmp_path, stdin="/search the\n1\n")
    assert "bot> 📄 Document · D1\n" in opened.stdout and "📚 Sources" in opened.stdout


def test_import_export_round_trip(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert run_cli("migrate", cwd=first).returncode == 0
    imported = run_cli("import", str(REPO / "store" / "seed" / "seed.json"), cwd=first)
    assert imported.returncode == 0, imported.stderr
    assert f"{len(SEED['updates'])} updates" in imported.stdout
    exported = run_cli("export", str(tmp_path / "out.json"), cwd=first)
    assert exported.returncode == 0, exported.stderr
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert {u["headline"] for u in data["updates"]} == {u["headline"] for u in SEED["updates"]}
    again = run_cli("import", str(tmp_path / "out.json"), "--no-seed", cwd=second)
    assert "seed" not in again.stdout
    assert again.returncode == 0, again.stderr
    to_stdout = run_cli("export", cwd=second)
    assert json.loads(to_stdout.stdout)["positions"] == data["positions"]

    (tmp_path / "bad.json").write_text('{"updates": [{"date": "blurgh"}]}', encoding="utf-8")
    refused = run_cli("import", str(tmp_path / "bad.json"), cwd=second)
    assert refused.returncode == 1
    assert "updates[0]: date" in refused.stdout and "nothing was written" in refused.stdout
    missing = run_cli("import", str(tmp_path / "nope.json"), cwd=second)
    assert missing.returncode == 2 and "No such file" in missing.stderr


async def test_bot_long_polls_the_http_fake_end_to_end(tmp_path: Path) -> None:
    async with FakeTelegramServer() as server:
        api = server.api
        env = fake_env(server, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/e2e.db")
        proc = await spawn_bot(cwd=tmp_path, env=env)
        try:
            api.push_update(api.make_message("/rounds", chat_id=777, user_id=777))
            api.push_update(
                api.make_message("/latest@BriefingTestBot 2", chat_id=-1001, chat_type="group")
            )
            await wait_for(
                lambda: len(api.sent(777)) >= 1 and len(api.sent(-1001)) >= 1,
                "the bot to answer through the HTTP fake",
                seconds=30,
            )
            assert "Ciragan Palace" in api.last(777).plain
            assert "Latest updates (1–2" in api.last(-1001).plain
            assert [c["command"] for c in api.commands()][:2] == ["latest", "positions"]
        finally:
            proc.send_signal(signal.SIGINT)
            _, log = await finish(proc, seconds=30)
        assert proc.returncode == 0, log
        assert FAKE_TOKEN not in log and "Application started" in log


async def test_shared_database_behind_schema_refuses_to_start(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite stores are migrated automatically at start")
    from alembic import command
    from sqlalchemy.ext.asyncio import create_async_engine

    from store.db import alembic_config

    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0002"))
    await engine.dispose()
    async with FakeTelegramServer() as server:
        proc = await spawn_bot(
            cwd=tmp_path, env=fake_env(server, DATABASE_URL=database_url), stdout=None
        )
        _, err = await finish(proc)
    assert proc.returncode == 2, err
    assert "run `python -m bot migrate` first" in err
    assert "Traceback" not in err
    migrated = run_cli("migrate", cwd=tmp_path, DATABASE_URL=database_url)
    assert migrated.returncode == 0, migrated.stderr
