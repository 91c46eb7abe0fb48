"""Logging set-up: quiet chatty libraries and keep the bot token out of every record."""

from __future__ import annotations

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


def setup_logging(level: str, token: str | None) -> None:
    """Configure the root logger once: level, format, token scrubbing, quiet httpx."""
    root = logging.getLogger()
    if not any(getattr(h, "_briefing", False) for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        stream._briefing = True  # type: ignore[attr-defined]
        root.addHandler(stream)
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
