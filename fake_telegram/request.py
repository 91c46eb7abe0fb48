"""The in-process python-telegram-bot transport: Bot API calls go straight into a LocalBotApi."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

from fake_telegram.api import LocalBotApi
from fake_telegram.common import _NOT_FOUND
from fake_telegram.params import UploadedFile


def _read_upload(part: tuple[str, Any, str]) -> UploadedFile:
    filename, content, mime_type = part
    data = content if isinstance(content, bytes) else content.read()
    return UploadedFile(filename, bytes(data), mime_type)


class LocalRequest(BaseRequest):
    """PTB transport that routes Bot API calls and file downloads straight into a LocalBotApi."""

    def __init__(self, api: LocalBotApi, *, read_timeout: float | None = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout (only used by PTB to size long polls)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to tear down: there is no connection."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one PTB request: a Bot API method call or a GET of a /file/bot... URL."""
        path = urlsplit(url).path
        if "/file/bot" in path:
            file_path = unquote(path.split("/file/bot", 1)[1].partition("/")[2])
            content = self.api.file_content(file_path)
            if content is None:
                return 404, json.dumps(_NOT_FOUND).encode()
            return 200, content
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                params[name] = _read_upload(part)
        status, body = await self.api.handle(path.rsplit("/", 1)[-1], params)
        return status, json.dumps(body).encode()
