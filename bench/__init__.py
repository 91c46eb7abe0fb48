"""Benchmarks: synthetic stores and latency measurements of the bot's commands."""
