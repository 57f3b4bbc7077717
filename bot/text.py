"""Text clean-up shared by the NLU pipeline and the channels: simplified characters, half-width
forms, and personal data (ID-card, mobile and bank-card numbers) masked before anything is stored or echoed.

Every function keeps the text's length, so character offsets (entity spans) stay valid.
"""
from __future__ import annotations

import re

import zhconv

# 18-digit resident ID numbers (last char may be X) and mainland mobile numbers.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# Bank-card numbers: 16-19 digits, written together or in groups split by single spaces or dashes
# (6222 0212 3456 7890 128, 6222-0212-...). Only numbers passing the Luhn check are cards; other long
# numbers (order numbers, amounts written oddly) are left as they are.
_BANK_CARD = re.compile(r"(?<![0-9A-Za-z*])\d(?:[ -]?\d){15,18}(?![0-9A-Za-z*])")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space
# Chinese punctuation people expect to keep: （）、，。：；？！ are normalised only where the ASCII
# form helps matching (digits, letters, % and .).
_KEEP = set("（）、，。：；？！")
_TO_HALF = {code: target for code, target in _FULL_WIDTH.items() if chr(code) not in _KEEP}


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every bank card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: "re.Match[str]") -> str:
    """Keep the first and last four digits and the separators: 6222 **** **** ***0 128 keeps its length."""
    number = match.group(0)
    digits = [index for index, char in enumerate(number) if char.isdigit()]
    if not luhn_ok("".join(number[index] for index in digits)):
        return number
    hidden = set(digits[4:-4])
    return "".join("*" if index in hidden else char for index, char in enumerate(number))


def redact(text: str) -> str:
    """Mask ID-card, mobile and (Luhn-valid) bank-card numbers, keeping the text's length:
    150203199001011234 -> 150203********1234, 13812345678 -> 138****5678,
    6222021234567890128 -> 6222***********0128."""
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    text = _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _BANK_CARD.sub(_mask_card, text)


def normalise(text: str) -> str:
    """Simplified characters, half-width letters and digits, personal numbers masked."""
    if not text:
        return ""
    simplified = zhconv.convert(text, "zh-cn")
    if len(simplified) != len(text):  # a phrase conversion changed the length: fall back per character
        simplified = "".join(zhconv.convert(char, "zh-cn") or char for char in text)
    return redact(simplified.translate(_TO_HALF))
