"""Logging set-up: quiet chatty libraries and keep the bot token out of every record."""

from __future__ import annotations

import datetime as dt
import json
import logging

REDACTED = "[BOT_TOKEN]"


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a record's message or traceback."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, REDACTED)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, REDACTED)
        return True


class MalformedRequestInOneLine(logging.Filter):
    """aiohttp's server logs a client's malformed HTTP request (a 400 it answers itself) with a
    traceback at ERROR: anyone on the internet could fill the log so. One INFO line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or type(exc).__module__ != "aiohttp.http_exceptions":
            return True
        reason = str(getattr(exc, "message", "") or type(exc).__name__).strip()
        reason = reason.splitlines()[0].rstrip(":")[:200] if reason else type(exc).__name__
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg, record.args = "Refused a malformed HTTP request from %s: %s", (remote, reason)
        record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, token: str | None, log_format: str = "text") -> None:
    """Configure the root logger once: level, format, token scrubbing, quiet httpx."""
    root = logging.getLogger()
    formatter: logging.Formatter = (
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    ours = [h for h in root.handlers if getattr(h, "_briefing", False)]
    if not ours:
        stream = logging.StreamHandler()
        stream._briefing = True  # type: ignore[attr-defined]
        root.addHandler(stream)
        ours = [stream]
    for handler in ours:
        handler.setFormatter(formatter)
    for handler in root.handlers:
        for f in list(handler.filters):
            if isinstance(f, RedactToken):
                handler.removeFilter(f)
        handler.addFilter(RedactToken(token))
    root.setLevel(level)
    # httpx logs every request URL, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestInOneLine) for f in server.filters):
        server.addFilter(MalformedRequestInOneLine())
