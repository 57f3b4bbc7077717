"""cn2an against policies_kb/numbers.py on the project's own number tests (issue 12: keep whichever is
right more often).

Two uses are compared:
  1. reading one answer ("三十人", "两万五", "两年零两个月", "百分之五"): policies_kb.numbers
     (parse_number / parse_months / parse_ratio) against cn2an.transform(text, "cn2an") followed by the
     smallest possible reading of the Arabic result (first number, a trailing 万, 年/个月, %);
  2. facts in a sentence ("二十来个人参保，去年裁了三个"): bot.stated_facts on the normalised text as it
     is, against the same extractor after cn2an has rewritten the sentence's numerals.
Cases come from tests/kb/test_parsing.py and tests/bot/test_stated_facts.py, so the comparison grows
with the tests. Prints a table; exits 0 either way (a measurement, not a test).

Usage: .venv/bin/python scripts/compare_numerals.py [--show]   (needs cn2an: pip install -c constraints.txt cn2an)
"""
from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.stated_facts import resolve, stated_facts  # noqa: E402
from bot.text import normalise  # noqa: E402
from policies_kb.engine import facts_read  # noqa: E402
from policies_kb.numbers import parse_months, parse_number, parse_ratio  # noqa: E402


def _cases(path: str, *names: str) -> List[Any]:
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [getattr(module, name) for name in names]


def _cn2an(text: str) -> str:
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on every word it cannot convert
        return cn2an.transform(normalise(text), "cn2an")


ARABIC = re.compile(r"(\d+(?:\.\d+)?)")


def cn2an_number(text: str) -> Optional[float]:
    converted = _cn2an(text).replace(",", "")
    match = ARABIC.search(converted)
    if not match:
        return None
    value = float(match.group(1))
    return value * 10000 if converted[match.end():].startswith("万") else value


def cn2an_months(text: str) -> Optional[float]:
    converted = _cn2an(text)
    years = re.search(r"(\d+(?:\.\d+)?)年(半)?", converted)
    months = re.search(r"(\d+)个?月", converted)
    if not years and not months:
        if "半年" in converted:
            return 6
        plain = ARABIC.fullmatch(converted.strip())
        return float(plain.group(1)) if plain else None
    total = (float(years.group(1)) * 12 + (6 if years.group(2) else 0)) if years else 0
    return total + (float(months.group(1)) if months else 0)


def cn2an_ratio(text: str) -> Optional[float]:
    converted = _cn2an(text).replace("％", "%")
    match = ARABIC.search(converted)
    if not match:
        return None
    value = float(match.group(1))
    return value / 100 if "%" in converted or value > 1 else value


def _ours(function: Callable[[str], float]) -> Callable[[str], Optional[float]]:
    def read(text: str) -> Optional[float]:
        try:
            return function(text)
        except ValueError:
            return None
    return read


def sentence_facts(text: str, measure: str, rewrite: Callable[[str], str]) -> dict:
    mentions = [{"candidates": list(f.candidates), "value": f.value} for f in stated_facts(rewrite(normalise(text)))
                if f.candidates]
    return resolve(mentions, facts_read(measure) if measure else [])


def score(rows: List[Tuple[str, Any, Any, Any]], show: bool, title: str) -> Tuple[int, int]:
    ours = sum(1 for _, want, a, _ in rows if _same(a, want))
    theirs = sum(1 for _, want, _, b in rows if _same(b, want))
    print(f"{title:<34} {len(rows):>5} {ours:>14} {theirs:>10}")
    if show:
        for text, want, a, b in rows:
            if not (_same(a, want) and _same(b, want)):
                print(f"    {text!r}: want {want}, policies_kb {a}, cn2an {b}")
    return ours, theirs


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return got is not None and not isinstance(got, dict) and abs(float(got) - want) < 1e-9
    return got == want


def main() -> int:
    show = "--show" in sys.argv
    try:
        import cn2an  # noqa: F401
    except ImportError:
        print("cn2an is not installed: .venv/bin/pip install -c constraints.txt cn2an")
        return 1
    numbers, months, ratios = _cases("tests/kb/test_parsing.py", "NUMBER_CASES", "MONTH_CASES", "RATIO_CASES")
    (sentences,) = _cases("tests/bot/test_stated_facts.py", "SENTENCE_CASES")
    print(f"{'cases':<34} {'n':>5} {'policies_kb ok':>14} {'cn2an ok':>10}")
    totals = [score([(t, v, _ours(parse_number)(t), cn2an_number(t)) for t, v in numbers], show, "one number"),
              score([(t, v, _ours(parse_months)(t), cn2an_months(t)) for t, v in months], show, "one duration (months)"),
              score([(t, v, _ours(parse_ratio)(t), cn2an_ratio(t)) for t, v in ratios], show, "one rate"),
              score([(t, want, sentence_facts(t, m, lambda s: s), sentence_facts(t, m, _cn2an))
                     for t, m, want in sentences], show, "facts in a sentence (extractor)")]
    ours, theirs = sum(a for a, _ in totals), sum(b for _, b in totals)
    print(f"{'all':<34} {sum(len(x) for x in (numbers, months, ratios, sentences)):>5} {ours:>14} {theirs:>10}")
    print("keep:", "policies_kb/numbers.py" if ours >= theirs else "cn2an")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
