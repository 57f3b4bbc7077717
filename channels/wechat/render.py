"""The bot's replies as WeChat text messages: buttons as numbered options, links as <a> tags, the
citation and in-force status kept, and long answers split at sentence boundaries under the byte limit.

Input: the messages Rasa's CollectingOutputChannel gathered for one user message — dicts with `text`
(and `buttons`) followed by a `custom` payload (README "Answer payload")."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List

from .settings import TEXT_LIMIT_BYTES

URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")
# Atoms that are never cut: an <a> element, or a run of text ending at a sentence or line end.
PIECE = re.compile(r"<a [^>]*>.*?</a>|[^<。！？；\n]*(?:[。！？；]+[”’」）)]*|\n)|[^<。！？；\n]+|<", re.S)


@dataclass
class Rendered:
    parts: List[str] = field(default_factory=list)       # WeChat text messages, each within the limit
    options: List[str] = field(default_factory=list)     # what "1", "2" … send next (button payloads)


# "办理入口：<entry name> <url>" (answers.entry_line): the name itself becomes the link.
ENTRY_LINE = re.compile(r"^(办理入口：)([^\n<]+?) (https?://[^\s<]+)$", re.M)


def link(text: str) -> str:
    """URLs as <a href> links (WeChat shows an <a> tag in a text message as a link)."""
    out, last = [], 0
    for entry in ENTRY_LINE.finditer(text):
        out.append(URL.sub(_anchor, text[last:entry.start()]))
        out.append(f'{entry.group(1)}<a href="{entry.group(3)}">{entry.group(2)}</a>')
        last = entry.end()
    out.append(URL.sub(_anchor, text[last:]))
    return "".join(out)


def _anchor(match: "re.Match[str]") -> str:
    return f'<a href="{match.group(0)}">{match.group(0)}</a>'


def _numbered(text: str, buttons: List[Dict[str, Any]]) -> str:
    """The text with its buttons as numbered options, unless the text already numbers them."""
    titles = [str(b.get("title", "")) for b in buttons]
    if all(f"{i}. {t}" in text for i, t in enumerate(titles, 1)):
        return text
    listed = "\n".join(f"{i}. {t}" for i, t in enumerate(titles, 1))
    return f"{text}\n{listed}\n（回复序号即可）"


def _citation(text: str, payload: Dict[str, Any]) -> str:
    """A measure answer always shows where it comes from and whether it still applies; the bot's text
    normally has both lines ("依据：…" and "截至…"), which are joined into one to save space."""
    if "measure" not in payload:
        return text
    lines = text.split("\n")
    cited = next((i for i, line in enumerate(lines) if line.startswith("依据：")), None)
    if cited is None and payload.get("sources"):
        labels = "；".join(s.get("label", "") for s in payload["sources"])
        lines.append(f"依据：{labels}")
        cited = len(lines) - 1
    if not any(line.startswith("截至") for line in lines) and isinstance(payload.get("in_force"), bool):
        lines.append("目前仍在实施。" if payload["in_force"] else "该政策已执行期满。")
    status = next((i for i, line in enumerate(lines) if line.startswith("截至")), None)
    if cited is not None and status == cited + 1:
        lines[cited:status + 1] = [f"{lines[cited]}；{lines[status]}"]
    return "\n".join(lines)


def render(messages: List[Dict[str, Any]]) -> Rendered:
    blocks: List[str] = []
    options: List[str] = []
    for message in messages:
        if message.get("text"):
            text = str(message["text"]).strip()
            buttons = message.get("buttons") or []
            if buttons:
                text = _numbered(text, buttons)
                options = [str(b.get("payload") or b.get("title", "")) for b in buttons]
            blocks.append(text)
        elif isinstance(message.get("custom"), dict) and blocks:
            blocks[-1] = _citation(blocks[-1], message["custom"])
    if not blocks:
        return Rendered()
    return Rendered(parts=split(link("\n\n".join(blocks))), options=options)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def split(text: str, limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """Parts of at most `limit` UTF-8 bytes, cut between lines where possible, else after a sentence,
    never inside an <a> element; each part of several is numbered （1/3）."""
    text = text.strip()
    if _size(text) <= limit:
        return [text] if text else []
    budget = limit - 64  # room for the part number and the “继续” hint
    pieces: List[str] = []
    for line in text.splitlines(keepends=True):
        # whole lines where they fit (a citation stays in one piece); sentences inside longer lines
        for match in ([line] if _size(line) <= budget else [m.group(0) for m in PIECE.finditer(line)]):
            piece = match
            while _size(piece) > budget:  # one sentence longer than a message: cut it by characters
                cut = len(piece.encode("utf-8")[:budget].decode("utf-8", "ignore"))
                pieces.append(piece[:cut])
                piece = piece[cut:]
            if piece:
                pieces.append(piece)
    parts: List[str] = []
    current = ""
    for piece in pieces:
        if current and _size(current + piece) > budget:
            parts.append(current)
            current = ""
        current += piece
    if current.strip():
        parts.append(current)
    parts = [p.strip("\n") for p in parts if p.strip()]
    return [f"（{i}/{len(parts)}）\n{p}" for i, p in enumerate(parts, 1)]
