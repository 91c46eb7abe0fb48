"""An HTTP front for LocalBotApi: a fake api.telegram.org on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from aiohttp import web

from fake_telegram.api import FAKE_TOKEN, LocalBotApi, UploadedFile
from fake_telegram.faults_http import HttpFaults

_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class FakeTelegramServer:
    """Serve ``/bot{token}/{method}`` and ``/file/bot{token}/{path}`` from a LocalBotApi."""

    def __init__(
        self,
        api: LocalBotApi | None = None,
        *,
        token: str = FAKE_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api = api if api is not None else LocalBotApi()
        self.token = token
        self.host = host
        self.port = port
        self.faults = HttpFaults()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Return the server root, e.g. http://127.0.0.1:PORT."""
        if self._runner is None:
            raise RuntimeError("FakeTelegramServer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Return the value for PTB's base_url / TELEGRAM_API_BASE (token is appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the value for PTB's base_file_url / TELEGRAM_FILE_BASE."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            token, _, file_path = path[len("/file/bot") :].partition("/")
            if token != self.token:
                return web.json_response(_UNAUTHORIZED, status=401)
            content = self.api.file_content(file_path)
            if content is None:
                return web.json_response(_NOT_FOUND, status=404)
            return web.Response(body=content, content_type="application/octet-stream")
        if not path.startswith("/bot"):
            return web.json_response(_NOT_FOUND, status=404)
        token, _, method = path[len("/bot") :].partition("/")
        if token != self.token:
            return web.json_response(_UNAUTHORIZED, status=401)
        try:
            params = await self._read_params(request)
        except ValueError:
            body = {"ok": False, "error_code": 400, "description": "Bad Request: can't parse JSON"}
            return web.json_response(body, status=400)
        slow = self.faults.is_slow(method)
        refusal = self.faults.refusal(method)
        if refusal is not None:
            return web.json_response(refusal, status=500)
        status, body = await self.api.handle(method, params)
        if slow:
            await self.faults.hold(params)
        return web.json_response(body, status=status)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Merge query string and body (JSON, urlencoded or multipart) like the Bot API does."""
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = UploadedFile(value.filename, value.file.read(), value.content_type)
            elif isinstance(value, bytes):
                params[name] = value.decode("utf-8", "replace")
            else:
                params[name] = value
        return params
