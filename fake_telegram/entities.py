"""Telegram's HTML parse mode: a port of tdlib's parse_html (td/telegram/MessageEntity.cpp)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from fake_telegram.common import JSONDict, _ordered_words, _words, utf16_len


class HtmlParseError(ValueError):
    """Telegram refused the HTML; the message is tdlib's, without "can't parse entities: "."""


_SPACES = frozenset(b" \t\n\v\f\r\0")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ALPHA = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_TOKEN = _ALPHA | _DIGITS | frozenset(b".-")
_ATTR_NAME_STOP = _SPACES | frozenset(b"=>/\"'")
_NAMED_ENTITIES = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
_LT, _GT, _AMP, _SLASH, _EQ = 0x3C, 0x3E, 0x26, 0x2F, 0x3D
_SUPPORTED_TAGS = _words(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote"
)
_SIMPLE_TAGS = {
    tag: kind
    for kind, tags in [
        ("bold", "b strong"),
        ("italic", "i em"),
        ("underline", "u ins"),
        ("strikethrough", "s strike del"),
        ("spoiler", "tg-spoiler span"),
    ]
    for tag in tags.split()
}
# tdlib's tie-break for entities with the same span: outermost first.
_TYPE_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        _ordered_words(
            "blockquote expandable_blockquote pre_code pre code text_link text_mention bold "
            "italic underline strikethrough spoiler custom_emoji"
        )
    )
}
_USER_LINK = re.compile(r"tg:(?://)?user\?(?:.*&)?id=(\d+)(?:&.*)?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):(//)?")


def _byte(data: bytes, i: int) -> int:
    return data[i] if i < len(data) else 0


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the entity at ``data[pos] == '&'`` like tdlib: (code point or 0, end position)."""
    end, code = pos + 1, 0
    if _byte(data, end) == ord("#"):
        end += 1
        hexadecimal = _byte(data, end) == ord("x")
        end += hexadecimal
        digits = _HEX if hexadecimal else _DIGITS
        while _byte(data, end) in digits:
            code = code * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _byte(data, end) in _ALPHA:
            end += 1
        code = _NAMED_ENTITIES.get(data[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    return code, end + (_byte(data, end) == ord(";"))


# The two shapes bots send most, ``<b>`` and ``<a href="https://…">``, parsed in one regex match;
# anything else (other attributes, entities in values, odd spacing) takes tdlib's byte-wise path.
_PLAIN_START_TAG = re.compile(rb"<([a-zA-Z-]+)>")
_PLAIN_END_TAG = re.compile(rb"</([a-zA-Z-]*)>")
_SIMPLE_LINK_TAG = re.compile(rb'<[aA] href="([^"&\x00]*)">')


def _parse_start_tag(data: bytes, begin: int) -> tuple[str, str, int]:
    """Parse ``<tag attr=...>`` at ``begin``; return (tag, argument, index of the closing '>')."""
    if simple := _PLAIN_START_TAG.match(data, begin):
        tag = simple.group(1).lower().decode("ascii")
        if tag in _SUPPORTED_TAGS and tag != "span":
            return tag, "", simple.end() - 1
    elif link := _SIMPLE_LINK_TAG.match(data, begin):
        return "a", link.group(1).decode("utf-8", "replace"), link.end() - 1
    i = begin + 1
    while _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
        i += 1
    if _byte(data, i) == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    tag = data[begin + 1 : i].lower().decode("utf-8", "replace")
    if tag not in _SUPPORTED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while _byte(data, i) != _GT:
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) == _GT:
            break
        name_begin = i
        while _byte(data, i) not in _ATTR_NAME_STOP:
            i += 1
        name = data[name_begin:i]
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) != _EQ:
            if _byte(data, i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if _byte(data, i) not in (ord("'"), ord('"')):
            token_begin = i
            while _byte(data, i) in _NAME_TOKEN:
                i += 1
            value = data[token_begin:i].lower().decode("ascii")
            if _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote, buffer = data[i], bytearray()
            i += 1
            while _byte(data, i) not in (quote, 0):
                code, end = (0, i) if data[i] != _AMP else _decode_html_entity(data, i)
                if code:
                    buffer += chr(code).encode("utf-8", "surrogatepass")
                    i = end
                else:
                    buffer.append(data[i])
                    i += 1
            i += _byte(data, i) == quote
            value = buffer.decode("utf-8", "replace")
        if _byte(data, i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        if tag == "a" and name == b"href":
            argument = value
        elif tag == "code" and name == b"class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == b"class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == b"emoji-id":
            argument = value
        elif tag == "blockquote" and name == b"expandable":
            argument = "1"
    if tag == "span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return tag, argument, i


def _checked_link(url: str, *, button: bool = False) -> str | None:
    """Return the link Telegram would keep for ``url``, or None if Telegram drops/refuses it."""
    url = url.strip()
    if not url or _WHITESPACE.search(url):
        return None
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("tg", "ton"):
        return url if len(url) > len(match.group(0) if match else "") else None
    if match and (match.group(2) or not url[match.end() :][:1].isdigit()):
        if scheme not in ("http", "https"):
            return None
    elif button:
        return None
    else:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return url if host else None


def _close_tag(
    found: list[list[Any]], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    """Turn a closed tag into an entity exactly like tdlib does (including pre/code merging)."""
    last = found[-1] if found else None
    same_span = last is not None and last[1] == offset and last[2] == length
    if tag in _SIMPLE_TAGS:
        found.append([_SIMPLE_TAGS[tag], offset, length, ""])
    elif tag == "tg-emoji":
        if not re.fullmatch(r"-?\d{1,19}", argument) or not 0 < abs(int(argument)) < 2**63:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        found.append(["custom_emoji", offset, length, argument])
    elif tag == "a":
        url = argument or inner
        user = _USER_LINK.fullmatch(url.strip())
        if user:
            found.append(["text_mention", offset, length, user.group(1)])
        elif (checked := _checked_link(url)) is not None:
            found.append(["text_link", offset, length, checked])
    elif tag == "pre":
        if last is not None and same_span and last[0] == "code" and last[3]:
            last[0] = "pre_code"
        else:
            found.append(["pre", offset, length, ""])
    elif tag == "code":
        if last is not None and same_span and last[0] == "pre" and argument:
            last[0], last[3] = "pre_code", argument
        else:
            found.append(["code", offset, length, argument])
    else:  # blockquote
        kind = "expandable_blockquote" if argument else "blockquote"
        found.append([kind, offset, length, ""])


def _to_bot_api_entities(found: list[list[Any]]) -> list[JSONDict]:
    """Sort entities like tdlib and convert them to Bot API MessageEntity dicts."""
    pre_spans = {(o, n) for kind, o, n, _ in found if kind in ("pre", "pre_code")}
    entities: list[JSONDict] = []
    for kind, offset, length, arg in sorted(
        found, key=lambda e: (e[1], -e[2], _TYPE_PRIORITY[e[0]])
    ):
        if kind == "code" and (offset, length) in pre_spans:
            continue  # <pre><code>x</code></pre> without a language is a plain pre
        entity: JSONDict = {"type": kind, "offset": offset, "length": length}
        if kind == "pre_code":
            entity.update(type="pre", language=arg)
        elif kind == "text_link":
            entity["url"] = arg
        elif kind == "text_mention":
            entity["user"] = {"id": int(arg), "is_bot": False, "first_name": ""}
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = arg
        entities.append(entity)
    return entities


_MARKUP_BYTE = re.compile(rb"[<&]")


def telegram_html_to_plain(
    text: str, *, strict_ampersand: bool = True
) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML like tdlib; return (plain text, entities) or raise HtmlParseError."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise HtmlParseError("Strings must be encoded in UTF-8") from None
    out = bytearray()
    utf16 = 0
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, output position
    found: list[list[Any]] = []  # [kind, utf16 offset, utf16 length, argument]
    i = 0
    while i < len(data):
        c = data[i]
        if c == _AMP:
            code, end = _decode_html_entity(data, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                i = end
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {i}; use &amp; (LocalBotApi strict mode: '
                    "Telegram itself would keep it as text)"
                )
        if c != _LT:
            # Copy the run of plain text up to the next markup byte in one go.
            special = _MARKUP_BYTE.search(data, i + 1)
            end = len(data) if special is None else special.start()
            run = data[i:end]
            out += run
            # Runs end at ASCII bytes, so they hold whole UTF-8 sequences: count first bytes.
            utf16 += len(run) if run.isascii() else utf16_len(run.decode("utf-8"))
            i = end
            continue
        begin = i
        if _byte(data, i + 1) != _SLASH:
            tag, argument, i = _parse_start_tag(data, begin)
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
            if simple_end := _PLAIN_END_TAG.match(data, begin):
                end_tag, i = simple_end.group(1).lower().decode("ascii"), simple_end.end() - 1
            else:
                i += 2
                while _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
                    i += 1
                end_tag = data[begin + 2 : i].lower().decode("utf-8", "replace")
                while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
                    i += 1
                if _byte(data, i) != _GT:
                    raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
            tag, argument, offset, start = stack.pop()
            if end_tag and end_tag != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            if utf16 > offset:
                # Only a link without href needs its text (as the URL): decode it only then.
                inner = ""
                if tag == "a" and not argument:
                    inner = bytes(out[start:]).decode("utf-8", "surrogatepass")
                _close_tag(found, tag, argument, offset, utf16 - offset, inner)
        i += 1  # skip '>'
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    try:
        plain = out.decode("utf-8")
    except UnicodeDecodeError:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    return plain, _to_bot_api_entities(found)
