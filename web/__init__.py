"""The public, read-only web pages and Atom feeds (aiohttp + Jinja2), beside the handlers.

`web.site.mount_site` puts them under WEB_PREFIX on an aiohttp application: the webhook server
(bot/webhook.py) in webhook mode, or its own server with `python -m bot web`.
"""
