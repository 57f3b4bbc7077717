"""Facts a person states in passing: "我们厂参保的有60来号人，去年裁了3个" -> 参保职工60人, 裁员3人.

Patterns and phrases live in bot/stated_facts.yml; numbers are read by policies_kb.numbers, so
三十几, 60来, 4万多, 两年零两个月 mean the same here as in a form's answer. Each mention keeps the
facts it may stand for (`candidates`); the check in progress picks the one its measure reads
(`resolve`). Pure Python: the Rasa component (bot/components/policy_entities.py), the actions and
the tests all use it.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from policies_kb.numbers import parse_months, parse_number

CUES_PATH = Path(__file__).parent / "stated_facts.yml"
# A number as people write it, with its approximations: 60来, 三十几, 4万多, 1.8万, 两千五.
NUMBER = (r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千俩仨])(?:[\d.零〇一二两三四五六七八九十百千万亿]|个(?=亿)|点(?=[零一二两三四五六七八九]))*"
          r"(?:来|多|几|余)?(?:万多|万|亿)?")
DURATION = (r"(?:(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十]+(?:点[零一二两三四五六七八九])?)(?:来|多|几)?(?:个)?(?:年半?|周年)(?:零?(?:\d+|[一二两三四五六七八九十]+)个?月)?"
            r"|(?:\d+|[一二两三四五六七八九十]+)个?(?:来|多)?月|半年)(?:多)?")
# Said as not so ("没出过中高风险地区", "根本没法正常营业"): the phrase after it is not stated.
NEGATED = re.compile(r"(?:不是|并非|没|没有|并不是|不属于|不算|未|从未|没法|无法|不能|没办法)$")


@dataclass(frozen=True)
class StatedFact:
    role: str                     # what the words say (layoffs, contribution_duration …), from stated_facts.yml
    candidates: Tuple[str, ...]   # the facts it may be, most likely first; empty for words read only to be ignored
    value: Any
    start: int
    end: int
    text: str


@functools.lru_cache(maxsize=1)
def cues() -> dict:
    return yaml.safe_load(CUES_PATH.read_text(encoding="utf-8"))


def _compile(pattern: str) -> re.Pattern:
    # A number followed by 年/月 is a duration, not a count or a sum ("失业保险交了三年").
    # The number is read whole: "交了十一个月" is not 10 followed by "一个月".
    whole_number = f"(?P<n>{NUMBER})(?![\\d.零〇一二两三四五六七八九十百千万亿点])(?![来多几余]?\\s*(?:个?月|年|周|岁|天|块儿|起))"
    return re.compile(pattern.replace("{N}", whole_number).replace("{D}", f"(?P<d>{DURATION})"))


@functools.lru_cache(maxsize=1)
def _patterns() -> List[Tuple[str, Tuple[str, ...], str, re.Pattern]]:
    compiled = []
    for group in ("numbers", "durations"):
        for cue in cues()[group]:
            kind = cue.get("value") or ("months" if group == "durations" else "number")
            for pattern in cue["patterns"]:
                compiled.append((cue["role"], tuple(cue["facts"]), kind, _compile(pattern)))
    return compiled


def number_value(text: str) -> Optional[float]:
    try:
        return parse_number(re.sub(r"(来|多|几|余)(?=万|亿|$)|个(?=亿)", "", text))
    except ValueError:
        return None


def _value(kind: str, match: re.Match) -> Optional[float]:
    if kind in ("number", "plus_one"):
        number = number_value(match.group("n"))
        return number + 1 if kind == "plus_one" and number is not None else number
    months = duration_months(match.group("d"))
    return round(months / 12, 4) if kind == "years" else months


def duration_months(text: str) -> float:
    """A duration as people say it, in months: 十来年 and 三年多 are read as ten and three years."""
    return parse_months(re.sub(r"(?:来|多|几)(?=个|年|周|$)", "", text))


def _overlaps(span: Tuple[int, int], taken: Iterable[Tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _numbers(text: str) -> List[StatedFact]:
    found: List[StatedFact] = []
    for role, facts, kind, pattern in _patterns():
        for match in pattern.finditer(text):
            group = "n" if "n" in pattern.groupindex else "d"
            span = match.span(group)
            if _overlaps(span, [(f.start, f.end) for f in found]):
                continue
            value = _value(kind, match)
            if value is None:
                continue
            if value == int(value):
                value = int(value)
            found.append(StatedFact(role, facts, value, span[0], span[1], match.group(0)))
    return found


@functools.lru_cache(maxsize=1)
def _statement_cues() -> List[Tuple[Tuple[str, ...], Any, str, re.Pattern]]:
    """(facts, value, literal phrase, pattern) for every statement cue, compiled once: there are more
    phrases than Python's regex cache holds, so compiling per message recompiled every one of them."""
    single = [((key,), by_value) for key, by_value in cues()["statements"].items()]
    shared = [(tuple(group["facts"]), {value: phrases for value, phrases in group.items() if value != "facts"})
              for group in cues().get("shared_statements") or []]
    patterns = [(tuple(group["facts"]), {group["value"]: [re.compile(p) for p in group["patterns"]]})
                for group in cues().get("statement_patterns") or []]
    compiled = []
    for keys, by_value in single + shared + patterns:
        for raw_value, phrases in by_value.items():
            value = {"true": True, "false": False}.get(str(raw_value).lower(), raw_value)
            value = int(value) if isinstance(value, str) and value.isdigit() else value
            for phrase in phrases:
                if isinstance(phrase, re.Pattern):
                    compiled.append((keys, value, "", phrase))
                else:
                    compiled.append((keys, value, phrase, re.compile(re.escape(phrase))))
    return compiled


# "交没交", "有没有", "签没签": an A-not-A question states neither.
A_NOT_A = re.compile(r"([\u4e00-\u9fff])[没不]\1")


def _statements(text: str) -> List[StatedFact]:
    """Yes/no facts (and a few named values) said in passing."""
    asked = [match.span() for match in A_NOT_A.finditer(text)]
    hits = []
    for keys, value, literal, pattern in _statement_cues():
        if literal and literal not in text:
            continue
        for match in pattern.finditer(text):
            if NEGATED.search(text[max(0, match.start() - 3):match.start()]) or _overlaps(match.span(), asked):
                continue
            hits.append((match.start(), match.end(), keys, value))
    hits.sort(key=lambda hit: (-(hit[1] - hit[0]), hit[0]))
    found: List[StatedFact] = []
    for start, end, keys, value in hits:
        # One value per fact, and the longest phrase for it (没欠过社保, not 欠过社保); one phrase may state two
        # facts ("被辞退": not by choice, and the contract ended).
        if any(f.candidates == keys for f in found) or _overlaps((start, end), [(f.start, f.end) for f in found
                                                                             if set(f.candidates) & set(keys)]):
            continue
        found.append(StatedFact(keys[0], keys, value, start, end, text[start:end]))
    return found


# "三十万一个月" is a sum per month, not 三十万一 followed by 个月; same length, so spans stay put.
PER_MONTH = re.compile(r"(?<=[万千百元块])一个月")


def stated_facts(text: str) -> List[StatedFact]:
    """Every fact the (normalised) text states, in reading order."""
    text = PER_MONTH.sub("每个月", text)
    numbers = _with_totals(_numbers(text))
    # A number's words may also state another fact ("都签了两年合同": the length, and a contract of a year
    # or more); a statement of the same fact as a number there is left to the number.
    workplaces = [match.span() for match in WORKPLACE.finditer(text)]
    statements = [s for s in _statements(text)
                  if not _overlaps((s.start, s.end), [(n.start, n.end) for n in numbers
                                                      if set(n.candidates) & set(s.candidates)])
                  and not (s.candidates[:1] in (("org_type",), ("applicant",)) and _overlaps((s.start, s.end), workplaces))]
    statements += _presumed_enterprise(text, statements)
    return sorted(numbers + statements + _without_work(text, statements) + _as_organisation(statements)
                  + _insured_throughout(text, numbers, statements), key=lambda fact: fact.start)


# "我们开超市的", "我们饭店今年…": a shop or restaurant speaking of itself is presumed an enterprise, unless the
# message says it is another kind; a kind told before wins over the presumption (actions/resolution.py).
SHOP_SELF = re.compile(r"(?:我们|俺们|咱们|我家|俺家)(?:是|这|家|这个|这家|是家|是个|开的是)?(?:开)?(?:的)?"
                       r"(?:饭店|饭馆|餐馆|餐厅|超市|酒店|宾馆|旅行社|旅馆|门店|商场|店)")
OTHER_KIND = re.compile(r"个体|事业单位|社会组织|律所|事务所|协会|基金会|民办非")
PRESUMED = "presumed_enterprise"


def _presumed_enterprise(text: str, statements: List[StatedFact]) -> List[StatedFact]:
    match = SHOP_SELF.search(text)
    if match is None or OTHER_KIND.search(text) or any("org_type" in s.candidates for s in statements):
        return []
    return [StatedFact(PRESUMED, ("org_type",), "enterprise", match.start(), match.end(), match.group())]


# "干了两年零两个月，失业保险一直交着": the insurance was paid for as long as the work lasted.
THROUGHOUT = re.compile(r"一直|没断|从没断|始终|都交着|全交着")
# "去年三月在厂里上的保，干了七个月就停了": insured from the start of the work.
INSURED_FROM_START = re.compile(r"(?:上|参|交|缴)(?:的|了)保")


def _insured_throughout(text: str, numbers: List[StatedFact], statements: List[StatedFact]) -> List[StatedFact]:
    if any("unemployment_insurance_months" in n.candidates for n in numbers):
        return []
    insured = any("unemployment_insured" in s.candidates and s.value is True and THROUGHOUT.search(s.text)
                  for s in statements) or bool(INSURED_FROM_START.search(text))
    work = next((n for n in numbers if n.role == "work_duration"), None)
    if not insured or work is None:
        return []
    return [StatedFact("contribution_duration", ("unemployment_insurance_months",), work.value, work.start, work.end,
                       work.text)]


# "我在青山区一家公司干了两年": where a person works, not a unit asking about itself.
WORKPLACE = re.compile(r"在[^，,。？?]{0,12}(?:公司|厂|企业|单位|饭店|饭馆|超市|工地|店)[^，,。？?]{0,2}"
                       r"(?:干|上班|工作|打工|上过班|做事|当)")


# "我们是一家职业技能培训学校", "我是达茂旗人社局的": a unit speaking of itself asks as an organisation.
UNIT_FACTS = {"is_training_institution", "incubator_or_platform", "is_district_hrss_department"}
WE = re.compile(r"^(?:我们|咱们|俺们|我司|本公司)")


def _as_organisation(statements: List[StatedFact]) -> List[StatedFact]:
    if any("applicant" in fact.candidates for fact in statements):
        return []
    units = [fact for fact in statements if fact.value is not False and fact.candidates and (
        fact.candidates[0] in UNIT_FACTS or (fact.candidates[0] == "org_type" and WE.search(fact.text)))]
    return [StatedFact("applicant", ("applicant",), "organisation", fact.start, fact.end, fact.text)
            for fact in units[:1]]


# Counts said as more of one given before ("再招1个"): the check adds them to what it knows.
ADDED = ("added_people", "added_layoffs", "added_months")
PARTNERS = ("partners", "partners_besides_me")


def _with_totals(numbers: List[StatedFact]) -> List[StatedFact]:
    """A total ("加一块是二十六个月", "凑够10个") stands for the parts said beside it: the parts are dropped;
    "跟俩战友合伙，一共三个人" counts the partners twice, once is kept."""
    roles = {n.role for n in numbers}
    if roles & set(PARTNERS):
        numbers = [n for n in numbers if n.role != "people_in_all"]
    elif "people_in_all" in roles:
        numbers = [n for n in numbers if n.role != "added_people"]
    if "added_months" in roles and any(n.role not in ADDED and n.role.endswith(("duration", "stay", "age", "length"))
                                       for n in numbers):
        numbers = [n for n in numbers if n.role != "added_months"]  # "再过俩月满一年": the year is what counts
    totals = [n for n in numbers if n.role == "total_duration"]
    if not totals:
        return numbers
    summed = set(totals[0].candidates)
    return [n for n in numbers if n is totals[0] or not set(n.candidates) & summed]


# "被辞了", "把我裁了", "老板不干了店关了": dismissed (or the workplace closed), said of oneself, also says there
# is no job now (and so does "我是自己辞职的"), unless the text says what the work situation is ("被辞退了，现在在新单位上班"). A unit's
# layoffs ("公司裁员了") say nothing of the speaker.
DISMISSED_ONESELF = re.compile(r"(?:被|(?:让|叫|给)(?=单位|公司|厂里|厂子|老板|用人单位))(?:单位|公司|厂里|厂子|老板|用人单位)?(?:给)?"
                               r"(?:辞退|辞了|辞掉|裁|开除|开了|解雇|劝退|优化)"
                               r"|把(?:我|俺)(?:给)?(?:辞|裁|开)|让我走|叫我走|不要我|老板不干了"
                               r"|(?:店|厂|厂子|公司|单位|饭店|饭馆|超市)(?:也)?(?:关了|关门了|倒闭了|黄了|破产了)")


# "我是自己辞职的", "我辞职了": left of one's own accord, said of oneself, says the same.
RESIGNED_ONESELF = re.compile(r"(?:我|俺|本人)(?:是|已经|刚)?(?:自己|主动)?(?:辞职|辞的职|辞了职|离职|离的职|不干了)")


def _without_work(text: str, statements: List[StatedFact]) -> List[StatedFact]:
    if any("employment_status" in fact.candidates for fact in statements):
        return []
    left = [fact for fact in statements if fact.candidates == ("involuntary_separation",) and (
        (fact.value is True and DISMISSED_ONESELF.search(text)) or (fact.value is False and RESIGNED_ONESELF.search(text)))]
    if not left:
        return []
    fact = left[0]
    return [StatedFact("employment_status", ("employment_status",), "unemployed", fact.start, fact.end, fact.text)]


def resolve(mentions: Iterable[Dict[str, Any]], reads: Iterable[str], prefer: Iterable[str] = (),
            known: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Fact values from stated-fact entities ({candidates, value}) for a check whose rule reads `reads`:
    each mention becomes the first of its candidates the rule reads (or, with no rule in view, its first);
    a candidate in `prefer` first (a correction changes a fact already given: "不对，就两个人" is the
    partners, not the staff). An added count ("再招1个") is added to the `known` value of the first candidate
    the rule reads and knows; with nothing known to add it to, it says nothing."""
    wanted, preferred, known = list(reads), list(prefer), known or {}
    found: Dict[str, Any] = {}
    for mention in mentions:
        if mention.get("role") in ADDED:
            key = next((key for key in mention.get("candidates") or [] if key in known and key not in found
                        and (key in wanted or not wanted) and isinstance(known[key], (int, float))), None)
            if key is not None:
                found[key] = known[key] + mention["value"]
            continue
        candidates = [key for key in mention.get("candidates") or [] if key not in found]
        candidates = [key for key in candidates if key in preferred] + [key for key in candidates if key not in preferred]
        chosen = next((key for key in candidates if key in wanted), None) if wanted else (candidates or [None])[0]
        if chosen:
            found[chosen] = mention["value"]
    return found
