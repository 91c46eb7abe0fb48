"""A strict stand-in for the Telegram Bot API, for the console and the tests (not shipped)."""
