"""The rendering layer: fact views into Telegram HTML, for commands and briefings."""
