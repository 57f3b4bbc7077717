"""Numbers as people write them in Chinese: 三十人, 2万, 一千五, 1.5万元, 百分之五, 5.5%, 两年半.

Pure functions; each raises ValueError with a Chinese message when the text holds no number.
"""
from __future__ import annotations

import re
from typing import Optional

_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3, "參": 3,
           "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
           "九": 9, "玖": 9,
           "俩": 2, "倆": 2, "仨": 3}  # colloquial: 俩 = 两个, 仨 = 三个
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CHINESE_NUMBER = re.compile("[" + "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS) + "点點半]+")
_ARABIC = re.compile(r"((?<![\d.])-?\d+(?:\.\d+)?)\s*([十百千万萬亿億]?)")  # "-1" stays negative: a minimum refuses it
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")


def _chinese_integer(text: str) -> int:
    """'三十' -> 30, '一千五' -> 1500 (colloquial: the last digit takes the next lower unit), '两万五' -> 25000."""
    total, section, digit = 0, 0, None
    last_unit = 1
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _SMALL_UNITS:
            unit = _SMALL_UNITS[char]
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            unit = _BIG_UNITS[char]
            section += digit or 0
            total += section * unit
            section, digit, last_unit = 0, None, unit
    if digit is not None:
        # 一千五 means 1500, 两万五 means 25000; 一百零五 means 105 (the 零 resets the scale).
        scale = last_unit // 10 if last_unit >= 100 and "零" not in text[-2:] else 1
        section += digit * max(scale, 1)
    return total + section


def _chinese_number(text: str) -> float:
    if text in ("半",):
        return 0.5
    if text.endswith("半"):
        return _chinese_number(text[:-1]) + 0.5
    for point in ("点", "點"):
        if point in text:
            whole, fraction = text.split(point, 1)
            digits = "".join(str(_DIGITS[char]) for char in fraction if char in _DIGITS)
            return (_chinese_integer(whole) if whole else 0) + float(f"0.{digits or 0}")
    return float(_chinese_integer(text))


def parse_number(text: str) -> float:
    """The first quantity in the text: '30人' -> 30, '2万元' -> 20000, '三十' -> 30, '1,500' -> 1500."""
    cleaned = str(text).translate(_FULL_WIDTH).replace(",", "").replace("，", "").strip()
    arabic = _ARABIC.search(cleaned)
    chinese = _CHINESE_NUMBER.search(cleaned)
    if arabic and (not chinese or arabic.start() <= chinese.start()):
        value = float(arabic.group(1))
        unit = arabic.group(2)
        multiplier = _SMALL_UNITS.get(unit) or _BIG_UNITS.get(unit) or 1
        rest = cleaned[arabic.end():]
        # '1万5' means 15000: a bare digit after a big unit scales by a tenth of it.
        trailing = re.match(r"(\d)(?!\d)", rest) if unit in _BIG_UNITS else None
        if trailing:
            return value * multiplier + int(trailing.group(1)) * multiplier / 10
        return value * multiplier
    if chinese and chinese.group(0) not in ("点", "點"):
        return _chinese_number(chinese.group(0))
    raise ValueError(f"没有识别出数字：{text!r}")


def parse_ratio(text: str) -> float:
    """A share as a fraction of one: '5.5%' -> 0.055, '百分之五' -> 0.05, '0.2' -> 0.2, '两成' -> 0.2."""
    cleaned = str(text).translate(_FULL_WIDTH).strip()
    if cleaned.startswith("百分之"):
        return parse_number(cleaned[3:]) / 100
    if "%" in cleaned:
        return parse_number(cleaned.replace("%", "")) / 100
    if cleaned.endswith("成"):
        return parse_number(cleaned[:-1]) / 10
    value = parse_number(cleaned)
    return value if value <= 1 else value / 100


_YEARS = re.compile(r"([0-9.零〇一二两兩三四五六七八九十点]+)\s*(?:周年|年)(半)?(?:零?([0-9零一二两兩三四五六七八九十]+)个?月)?")


def parse_months(text: str) -> float:
    """A duration in months: '两年' -> 24, '一年半' -> 18, '6个月' -> 6, '半年' -> 6, '签了三年的' -> 36,
    '一年以上' -> 12 (at least a year); bare numbers are months."""
    cleaned = str(text).translate(_FULL_WIDTH).strip()
    years = _YEARS.search(cleaned)
    if years:
        months = parse_number(years.group(1)) * 12 + (6 if years.group(2) else 0)
        return months + (parse_number(years.group(3)) if years.group(3) else 0)
    if "半年" in cleaned:
        return 6
    return parse_number(cleaned)


def find_number(text: str) -> Optional[float]:
    """parse_number, or None when the text holds no number."""
    try:
        return parse_number(text)
    except ValueError:
        return None
