"""The start-up lock (migration and seeding): a process behind a stuck holder gives up in time."""

from __future__ import annotations

import asyncio

import pytest

from bot.startup import EXIT_DATABASE, guarded
from store.db import SETUP_LOCK_TIMEOUT, SetupLockTimeout, create_engine, setup_lock


async def test_a_start_behind_a_stuck_holder_gives_up_then_takes_the_freed_lock(
    database_url: str,
) -> None:
    holder, waiter = create_engine(database_url), create_engine(database_url)
    loop = asyncio.get_running_loop()
    try:
        async with setup_lock(holder):
            began = loop.time()
            with pytest.raises(SetupLockTimeout) as caught:
                async with setup_lock(waiter, wait=0.6):
                    pytest.fail("the lock was taken while another process held it")
            waited = loop.time() - began
        assert 0.6 <= waited < 5, waited
        assert "over 0.6 s" in str(caught.value)
        began = loop.time()
        async with setup_lock(waiter, wait=0.6):  # released: taken at once
            assert loop.time() - began < 0.5
    finally:
        await holder.dispose()
        await waiter.dispose()


def test_giving_up_is_one_line_and_status_5(capsys: pytest.CaptureFixture[str]) -> None:
    def stuck() -> int:
        raise SetupLockTimeout(SETUP_LOCK_TIMEOUT)

    assert SETUP_LOCK_TIMEOUT == 600  # the time docs/operations.md and the README promise
    assert guarded(None, stuck) == EXIT_DATABASE == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("Cannot open the database: another process has been migrating")
    assert "over 600 s (the start-up lock)" in err
