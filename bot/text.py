"""Text clean-up shared by the NLU pipeline and the channels: simplified characters, half-width
forms, and personal data masked before anything is stored or echoed.

Every function keeps the text's length, so character offsets (entity spans) stay valid.
"""
from __future__ import annotations

import re

import zhconv

# 18-digit resident ID numbers (last char may be X) and mainland mobile numbers.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space
# Chinese punctuation people expect to keep: （）、，。：；？！ are normalised only where the ASCII
# form helps matching (digits, letters, % and .).
_KEEP = set("（）、，。：；？！")
_TO_HALF = {code: target for code, target in _FULL_WIDTH.items() if chr(code) not in _KEEP}


def redact(text: str) -> str:
    """Mask ID-card and mobile numbers: 150203199001011234 -> 150203********1234, 13812345678 -> 138****5678."""
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def normalise(text: str) -> str:
    """Simplified characters, half-width letters and digits, personal numbers masked."""
    if not text:
        return ""
    simplified = zhconv.convert(text, "zh-cn")
    if len(simplified) != len(text):  # a phrase conversion changed the length: fall back per character
        simplified = "".join(zhconv.convert(char, "zh-cn") or char for char in text)
    return redact(simplified.translate(_TO_HALF))
