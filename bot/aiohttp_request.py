"""A telegram.request.BaseRequest on aiohttp: the same calls as PTB's httpx client, less CPU.

measurements.md and bench/bench_delivery.py both show httpx spending most of the bot's CPU when
it sends many messages (and stalling with large pools); aiohttp does the same work for a tenth
of the CPU per call. Select it with HTTP_CLIENT=aiohttp.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_BOT_PATH = re.compile(r"/bot[^/\s]+/")


class AiohttpRequest(BaseRequest):
    """Send Bot API calls with one aiohttp ClientSession (opened in initialize)."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the client session (idempotent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the client session (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Perform one call; transport failures become PTB's NetworkError or TimedOut."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if files:
            read = max(read or 0, self._media_write_timeout or 0) or None
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        body: Any = None
        if request_data is not None and files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, part in files.items():
                filename, content, mime = part if len(part) == 3 else (None, part[-1], None)
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        elif request_data is not None and (parameters := request_data.parameters):
            # JSON (which the Bot API takes for every call without files) costs a fraction of
            # urlencoding a long message text character by character.
            body = aiohttp.BytesPayload(
                json.dumps(parameters, ensure_ascii=False).encode(),
                content_type="application/json",
            )
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Some aiohttp errors quote the URL, and Bot API URLs hold the token.
            said = _BOT_PATH.sub("/bot<token>/", str(err))
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {said}") from err
