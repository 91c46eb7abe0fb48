"""Editors' forms live in the database: a restart, two webhook replicas, two editors at once.

Guided forms and corrections after Edit are rows of the draft table, so the next answer may
reach another process; Save refuses a fact that another editor changed after the preview.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import signal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from telegram import Update

import handlers.open_forms
from fake_telegram import SentMessage
from fake_telegram.server import FakeTelegramServer
from kinds.base import FactKind
from kinds.update import NewsUpdate
from store import drafts
from store.db import alembic_config, create_engine, make_session_factory, upgrade_schema
from store.models import AuditEntry, Broadcast, Draft, FactTranslation, utcnow
from tests.conftest import Harness, make_settings, start_harness
from tests.support import fake_env, free_port, post_update, wait_for
from tests.test_replicas import SECRET, _replica, _stop

EDITOR = 42
OLENA = 43
KYIV = ZoneInfo("Europe/Kyiv")
BUTTONS = ["✅ Save", "✏️ Edit", "✖️ Cancel", "🌐 Translate"]


def labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def button(message: SentMessage, label: str) -> str:
    (data,) = [d for row in message.buttons for text, d in row if label in text]
    return data


async def rows(sessions: Any, model: Any, *where: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(select(model).where(*where).order_by(model.id))).all())


async def edits_of_u1(sessions: Any) -> list[AuditEntry]:
    """The audit log's edits and retractions of update 1, oldest first."""
    return await rows(
        sessions,
        AuditEntry,
        AuditEntry.fact_kind == "update",
        AuditEntry.fact_id == 1,
        col(AuditEntry.action).in_(["edit", "retract"]),
    )


async def listening(port: int) -> None:
    """Wait until a replica accepts connections (start-up is slow on a busy machine)."""
    for _ in range(1200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail(f"replica on port {port} never listened")


async def press_as(
    h: Harness, message: SentMessage, label: str, *, user_id: int, first_name: str
) -> str:
    """Press a button of `message` as a named user in that user's own chat; the answer."""
    raw = h.api.make_callback(
        message.message_id,
        button(message, label),
        chat_id=user_id,
        user_id=user_id,
        first_name=first_name,
        check_button=False,
    )
    before = len(h.api.callback_answers)
    await h.app.process_update(Update.de_json(raw, h.app.bot))
    assert len(h.api.callback_answers) == before + 1
    return h.api.callback_answers[-1].text or ""


# ------------------------------------------------------------------------------ the migration


async def test_migration_0005_gives_broadcasts_no_kind_and_one_open_form_per_editor(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    insert = text(
        "INSERT INTO draft (created_at, actor_id, chat_id, action, fact_kind, payload, status) "
        "VALUES (CURRENT_TIMESTAMP, 42, 42, :action, :kind, '{}', :status)"
    )

    def migrate(to: str, down: bool = False) -> Any:
        def run(conn: Any) -> None:
            (command.downgrade if down else command.upgrade)(alembic_config(conn), to)

        return run

    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0004"))
            await conn.execute(insert, {"action": "broadcast", "kind": "update", "status": "saved"})
            await conn.execute(insert, {"action": "create", "kind": "update", "status": "saved"})
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0005"))
            kinds = await conn.execute(text("SELECT action, fact_kind FROM draft ORDER BY id"))
            assert kinds.all() == [("broadcast", None), ("create", "update")]
            await conn.execute(insert, {"action": "guided", "kind": "update", "status": "form"})
            await conn.execute(insert, {"action": "create", "kind": "update", "status": "pending"})
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    insert, {"action": "correct", "kind": "update", "status": "form"}
                )
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0004", down=True))
            kinds = await conn.execute(text("SELECT action, fact_kind FROM draft ORDER BY id"))
            assert kinds.all() == [
                ("broadcast", "update"),
                ("create", "update"),
                ("create", "update"),
            ]
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("draft"))
            assert "expires_at" not in {c["name"] for c in columns}
    finally:
        await engine.dispose()


async def test_two_answers_at_once_to_one_form_keep_the_first(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade_schema(engine)
        sessions = make_session_factory(engine)
        later = utcnow() + dt.timedelta(minutes=10)
        async with sessions() as session:
            form = await drafts.open_form(
                session,
                chat_id=EDITOR,
                actor_id=EDITOR,
                action=drafts.FormAction.GUIDED,
                kind=FactKind.UPDATE,
                payload={"values": {}, "step": 0},
                expires_at=later,
            )
        assert form.id is not None
        read = form.payload
        saved = []
        for headline in ("First answer", "Second answer"):
            async with sessions() as session:
                saved.append(
                    await drafts.save_form(
                        session,
                        form_id=form.id,
                        read=read,
                        payload={"values": {"headline": headline}, "step": 1},
                        expires_at=later,
                    )
                )
        assert saved == [True, False]
        async with sessions() as session:
            kept = await drafts.get_form(session, chat_id=EDITOR, actor_id=EDITOR)
        assert kept is not None and json.loads(kept.payload)["values"] == {
            "headline": "First answer"
        }
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------ a restart


async def test_a_restart_mid_form_and_mid_correction_loses_nothing(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    async for h in start_harness(settings):
        chat = h.chat(EDITOR)
        await chat.ask("/add")
        assert (await chat.ask("Talks resume after a restart")).plain.startswith("When?")
        assert (await chat.ask("2 June 2025")).plain == "Short summary? (/skip)"
        noted = await chat.ask("headline uk: Переговори відновилися після перезапуску")
        assert noted.plain == "🌐 Noted: headline uk.\n\nShort summary? (/skip)"
        assert h.errors == []
    # A new Application on the same database file: the form goes on where it stopped.
    async for h in start_harness(settings):
        chat = h.chat(EDITOR)
        assert (await chat.ask("Both delegations confirmed")).plain.startswith("Source?")
        assert (await chat.ask("Reuters https://example.org/restart")).plain.startswith("Tags")
        shown = await chat.ask("talks")
        assert labels(shown) == BUTTONS
        assert "📅 Mon 2 Jun 2025 — Talks resume after a restart" in shown.plain
        assert "Both delegations confirmed" in shown.plain
        assert "🌐 headline uk: Переговори відновилися після перезапуску" in shown.plain
        await chat.press(shown, "Edit")
        assert h.errors == []
    # And again: the correction asked for before this restart arrives after it.
    async for h in start_harness(settings):
        chat = h.chat(EDITOR)
        corrected = await chat.ask("date: 3 June 2025")
        assert labels(corrected) == BUTTONS
        assert "📅 Tue 3 Jun 2025 — Talks resume after a restart" in corrected.plain
        (saved,) = await chat.press(corrected, "Save")
        assert saved.edited and "Saved as U" in saved.plain
        (row,) = await rows(h.sessions, NewsUpdate, NewsUpdate.headline.startswith("Talks resume"))
        assert (row.date, row.summary, row.tags) == (
            dt.date(2025, 6, 3),
            "Both delegations confirmed",
            "talks",
        )
        (uk,) = await rows(
            h.sessions,
            FactTranslation,
            FactTranslation.fact_id == row.id,
            FactTranslation.fact_kind == "update",
        )
        assert (uk.fact_kind, uk.language, uk.field, uk.text) == (
            "update",
            "uk",
            "headline",
            "Переговори відновилися після перезапуску",
        )
        # No form is left open, and the first preview was superseded.
        assert [(d.action, d.status) for d in await rows(h.sessions, Draft)] == [
            ("create", "cancelled"),
            ("create", "saved"),
        ]
        assert h.errors == []


CLOSED = (
    "No answer for 10 minutes, so I closed that form — nothing was stored. "
    "Send the command again to start over."
)


async def _leave_a_form_open(settings: Any) -> None:
    """Start a guided /add, answer once, and stop the process before the form expires."""
    async for h in start_harness(settings):
        chat = h.chat(EDITOR)
        await chat.ask("/add")
        assert (await chat.ask("A headline left behind")).plain.startswith("When?")
    await asyncio.sleep(0.4)  # past the expiry, with no process left to notice it


async def test_a_stopped_replicas_expired_form_is_closed_by_anothers_sweep(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.open_forms, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(handlers.open_forms, "SWEEP_SECONDS", 0.2)
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    await _leave_a_form_open(settings)
    async for h in start_harness(settings):

        def told(h: Harness = h) -> bool:
            return bool(h.api.sent(EDITOR))

        await wait_for(told, "the sweep's message")
        await asyncio.sleep(0.5)  # more sweeps: the editor is told once
        assert [m.plain for m in h.api.sent(EDITOR)] == [CLOSED]
        assert await rows(h.sessions, Draft) == []
        assert (await h.chat(EDITOR).ask("2 June 2025")).plain.startswith("I answer commands")
        assert h.errors == []


async def test_a_form_found_expired_by_the_next_message_is_closed_then(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.open_forms, "TIMEOUT_SECONDS", 0.3)
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    await _leave_a_form_open(settings)
    async for h in start_harness(settings):
        out = await h.chat(EDITOR).send("2 June 2025")
        assert [m.plain for m in out] == [CLOSED]
        assert await rows(h.sessions, Draft) == []
        assert (
            await rows(h.sessions, NewsUpdate, NewsUpdate.headline == "A headline left behind")
            == []
        )
        assert h.errors == []


# ------------------------------------------------------------------------------ two editors


async def test_save_refuses_a_fact_another_editor_corrected_after_the_preview(
    sqlite_url: str,
) -> None:
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR, OLENA}))
    async for h in start_harness(settings):
        mine = await h.chat(EDITOR).ask("/edit U1\nsummary: My reading of it")
        hers = await h.chat(OLENA).ask("/edit U1\nsummary: Olena's reading of it")
        assert labels(mine) == labels(hers) == BUTTONS
        answer = await press_as(h, hers, "Save", user_id=OLENA, first_name="Olena")
        assert answer == "Corrected U1."
        (entry,) = await edits_of_u1(h.sessions)
        at = entry.at.astimezone(KYIV)
        refused = await press_as(h, mine, "Save", user_id=EDITOR, first_name="Taras")
        assert refused == (
            f"U1 was corrected by Olena at {at:%H:%M} — reload the preview: send /edit U1 again."
        )
        assert h.api.callback_answers[-1].show_alert
        # Olena's correction stands, with one audit entry; my draft is still unsaved.
        (fact,) = await rows(h.sessions, NewsUpdate, NewsUpdate.id == 1)
        assert fact.summary == "Olena's reading of it"
        assert len(await edits_of_u1(h.sessions)) == 1
        assert [d.status for d in await rows(h.sessions, Draft)] == ["pending", "saved"]
        # A correction typed after Edit keeps what the preview saw: still refused.
        await h.chat(EDITOR).press(mine, "Edit")
        again = await h.chat(EDITOR).ask("summary: My second reading")
        refused = await press_as(h, again, "Save", user_id=EDITOR, first_name="Taras")
        assert refused.startswith("U1 was corrected by Olena at ")
        # A fresh preview shows Olena's text as the old value, and saves.
        fresh = await h.chat(EDITOR).ask("/edit U1\nsummary: My reading of it")
        assert "• summary: Olena's reading of it → My reading of it" in fresh.plain
        answer = await press_as(h, fresh, "Save", user_id=EDITOR, first_name="Taras")
        assert answer == "Corrected U1."
        (fact,) = await rows(h.sessions, NewsUpdate, NewsUpdate.id == 1)
        assert fact.summary == "My reading of it"
        names = [e.actor_name for e in await edits_of_u1(h.sessions)]
        assert names == ["Olena", "Taras"]
        # A retraction previewed before a correction is refused the same way.
        retraction = await h.chat(OLENA).ask("/retract U1 duplicate")
        await h.chat(EDITOR).ask("/edit U1\nsummary: Third reading")
        latest = h.api.last(EDITOR)
        await press_as(h, latest, "Save", user_id=EDITOR, first_name="Taras")
        refused = await press_as(h, retraction, "Retract", user_id=OLENA, first_name="Olena")
        assert refused.startswith("U1 was corrected by Taras at ")
        assert refused.endswith(" — reload the preview: send /retract U1 again.")
        (fact,) = await rows(h.sessions, NewsUpdate, NewsUpdate.id == 1)
        assert (fact.retracted_at, fact.summary) == (None, "Third reading")
        assert h.errors == []


async def test_a_broadcast_draft_is_no_fact_and_its_forged_save_is_refused(
    sqlite_url: str,
) -> None:
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    async for h in start_harness(settings):
        await h.chat(EDITOR).ask("/subscribe")
        preview = await h.chat(EDITOR).ask("/broadcast Talks moved to Geneva")
        (draft,) = await rows(h.sessions, Draft)
        assert (draft.action, draft.fact_kind, draft.status) == ("broadcast", None, "pending")
        for verb in ("save", "edit", "cancel"):
            raw = h.api.make_callback(
                preview.message_id,
                f"draft:{verb}:{draft.id}",
                chat_id=EDITOR,
                user_id=EDITOR,
                check_button=False,
            )
            await h.app.process_update(Update.de_json(raw, h.app.bot))
            answer = h.api.callback_answers[-1].text
            assert answer == "This preview has expired; send the command again.", verb
        (draft,) = await rows(h.sessions, Draft)
        assert draft.status == "pending"
        assert await rows(h.sessions, Broadcast) == []
        assert h.errors == []


# ------------------------------------------------------------------------------ two replicas


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_form_answered_on_two_replicas_saves_one_fact(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegramServer() as server:
        api = server.api
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            ADMIN_IDS=str(EDITOR),
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
        )
        port_a, port_b = free_port(), free_port()
        replica_a = await _replica(tmp_path, env, port_a)
        replicas = [replica_a]
        try:
            # A first, alone: it migrates and seeds the empty database; then B.
            await listening(port_a)
            await post_update(port_a, api.make_message("/help", chat_id=5001, user_id=5001), SECRET)
            await wait_for(lambda: bool(api.sent(5001)), "replica A's first answer")
            replicas.append(await _replica(tmp_path, env, port_b))
            await listening(port_b)

            async def say(port: int, text: str) -> SentMessage:
                before = len(api.sent(EDITOR))
                await post_update(
                    port, api.make_message(text, chat_id=EDITOR, user_id=EDITOR), SECRET
                )
                await wait_for(lambda: len(api.sent(EDITOR)) > before, f"the answer to {text!r}")
                (answer,) = api.sent(EDITOR)[before:]
                return answer

            async def press(
                port: int, message: SentMessage, label: str, *, stale: bool = False
            ) -> str:
                """Press a button; `stale`: as first shown, though the bot may have edited it."""
                before = len(api.callback_answers)
                raw = api.make_callback(
                    message.message_id,
                    button(message, label),
                    chat_id=EDITOR,
                    user_id=EDITOR,
                    check_button=not stale,
                )
                await post_update(port, raw, SECRET)
                await wait_for(lambda: len(api.callback_answers) > before, f"{label} answered")
                return api.callback_answers[-1].text or ""

            steps = [
                (port_a, "/add", "New update, step by step."),
                (port_b, "Geneva talks agreed by both replicas", "When?"),
                (port_a, "2 June 2025\nheadline uk: Женевські переговори", "Short summary?"),
                (port_b, "/skip", "Source?"),
                (port_a, "Reuters https://example.org/geneva", "Tags"),
            ]
            for port, text, expected in steps:
                assert (await say(port, text)).plain.startswith(expected), text
            shown = await say(port_b, "talks, geneva")
            assert labels(shown) == BUTTONS
            assert "📅 Mon 2 Jun 2025 — Geneva talks agreed by both replicas" in shown.plain
            saved = await press(port_b, shown, "Save")
            assert saved.startswith("Saved as U"), saved
            ref = saved.removeprefix("Saved as ").rstrip(".")
            again = await press(port_a, shown, "Save", stale=True)
            assert again == f"Already saved as {ref}; nothing more was written."

            # Edit pressed on A, the correction sent to B, Save on A.
            one_shot = await say(
                port_a,
                "/add Prisoner lists swapped in Geneva\ndate: 3 June 2025\n"
                "source: https://example.org/lists",
            )
            assert labels(one_shot) == BUTTONS
            assert await press(port_a, one_shot, "Edit") == ""
            await wait_for(
                lambda: api.last(EDITOR).plain.startswith("✏️ Send the fields to change"),
                "the request for corrections",
            )
            corrected = await say(port_b, "date: 4 June 2025\nsummary: 1,200 names on each list")
            assert labels(corrected) == BUTTONS
            assert "📅 Wed 4 Jun 2025 — Prisoner lists swapped in Geneva" in corrected.plain
            assert (await press(port_a, corrected, "Save")).startswith("Saved as U")
        finally:
            await _stop(*replicas)
        assert all(r.returncode == 0 for r in replicas)

    engine = create_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        geneva = await rows(sessions, NewsUpdate, col(NewsUpdate.headline).contains("Geneva"))
        drafts = await rows(sessions, Draft)
        texts = await rows(
            sessions,
            FactTranslation,
            FactTranslation.fact_id == geneva[0].id,
            FactTranslation.fact_kind == "update",
        )
    finally:
        await engine.dispose()
    assert [(r.headline, r.date, r.summary, r.tags) for r in geneva] == [
        ("Geneva talks agreed by both replicas", dt.date(2025, 6, 2), "", "talks, geneva"),
        (
            "Prisoner lists swapped in Geneva",
            dt.date(2025, 6, 4),
            "1,200 names on each list",
            "",
        ),
    ]
    assert [(t.fact_kind, t.language, t.field, t.text) for t in texts] == [
        ("update", "uk", "headline", "Женевські переговори")
    ]
    assert [(d.action, d.status) for d in drafts] == [
        ("create", "saved"),
        ("create", "cancelled"),
        ("create", "saved"),
    ]
    assert json.loads(drafts[2].payload)["values"]["date"] == "4 June 2025"


async def test_a_save_killed_mid_way_stores_the_fact_once_or_not_at_all(
    sqlite_url: str, tmp_path: Path
) -> None:
    headline = "Kill-tested memorandum handed over"
    async with FakeTelegramServer() as server:
        api = server.api
        env = fake_env(
            server,
            DATABASE_URL=sqlite_url,
            ADMIN_IDS=str(EDITOR),
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
        )
        port = free_port()
        replica = await _replica(tmp_path, env, port)
        try:
            await listening(port)
            text = f"/add {headline}\ndate: 2 June 2025\nsource: Reuters https://example.org/m"
            await post_update(port, api.make_message(text, chat_id=EDITOR, user_id=EDITOR), SECRET)
            await wait_for(lambda: bool(api.sent(EDITOR)), "the preview")
            preview = api.last(EDITOR)
            assert labels(preview) == BUTTONS
            save = api.make_callback(
                preview.message_id, button(preview, "Save"), chat_id=EDITOR, user_id=EDITOR
            )
            # kill -9 at a different moment each run: before, during or after Save's transaction.
            posting = asyncio.create_task(post_update(port, save, SECRET))
            await asyncio.sleep(random.uniform(0.0, 0.3))
            replica.send_signal(signal.SIGKILL)
            await asyncio.wait_for(replica.communicate(), timeout=30)
            with contextlib.suppress(Exception):
                await posting  # the answer may never come
        finally:
            await _stop(replica)

        engine = create_engine(sqlite_url)
        try:
            async with make_session_factory(engine)() as session:
                stored = (
                    await session.exec(select(NewsUpdate).where(NewsUpdate.headline == headline))
                ).all()
                drafts_now = (await session.exec(select(Draft))).all()
        finally:
            await engine.dispose()
        assert len(stored) <= 1
        (draft,) = [d for d in drafts_now if d.action == "create"]
        # The fact and the draft's "saved" mark are one transaction: both or neither.
        assert (draft.status == "saved") == bool(stored), (draft.status, len(stored))

        replica = await _replica(tmp_path, env, port)
        try:
            await listening(port)
            before = len(api.callback_answers)
            again = api.make_callback(
                preview.message_id,
                button(preview, "Save"),
                chat_id=EDITOR,
                user_id=EDITOR,
                check_button=False,
            )
            await post_update(port, again, SECRET)
            await wait_for(lambda: len(api.callback_answers) > before, "Save after the restart")
            answer = api.callback_answers[-1].text or ""
        finally:
            await _stop(replica)
        engine = create_engine(sqlite_url)
        try:
            async with make_session_factory(engine)() as session:
                count = len(
                    (
                        await session.exec(
                            select(NewsUpdate).where(NewsUpdate.headline == headline)
                        )
                    ).all()
                )
        finally:
            await engine.dispose()
        assert count == 1, answer  # saved exactly once, by the killed process or after it
        assert answer.startswith(("Saved as U", "Already saved as U")), answer
