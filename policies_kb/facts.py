"""Facts about an applicant: turning what people type (是/没有/三十人/两年/餐饮) into typed values.

The catalogue lives in data/facts.yaml; `coerce` is the single gate every fact passes before the rules
read it, so an unknown key or a badly typed value fails here with a message that says what to do.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

from .loader import kb
from .numbers import parse_months, parse_number
from .schema import Fact

_TRUE = {"是", "是的", "对", "对的", "有", "有的", "已", "已经", "符合", "属于", "嗯", "没错", "当然", "肯定", "可以",
         "会", "承诺", "签了", "交了", "y", "yes", "true", "t", "1", "ok", "是啊", "对啊", "有啊"}
_FALSE = {"否", "不是", "不", "没有", "没", "无", "未", "不对", "不符合", "不属于", "还没", "还没有", "不会", "没签",
          "没交", "n", "no", "false", "f", "0", "并没有", "不是的", "没有的"}
_FALSE_PREFIXES = ("不", "没", "未", "无", "否", "非", "并没", "还没")
_UNSURE = ("不知道", "不清楚", "不确定", "不太清楚", "说不好", "不记得", "不太确定", "不懂", "没听说", "不了解")
_TRUE_PREFIXES = ("是", "有", "对", "已", "嗯", "符合", "属于", "确实")


class FactError(ValueError):
    """A fact key or value that cannot be used; str(error) is a bilingual message for the user."""


def catalogue() -> Dict[str, Fact]:
    return kb().facts


def fact(key: str) -> Fact:
    try:
        return catalogue()[key]
    except KeyError:
        raise FactError(f"未知的条件项 {key!r}，可用 `policybot facts` 查看全部 (unknown fact key {key!r})") from None


def describe(key: str) -> Dict[str, Any]:
    """One fact as `policybot facts --json` prints it (and the staff panel renders it as a form control)."""
    spec = fact(key)
    values = [{"code": v.code, "label": v.label} for v in kb().fact_values(key)] if spec.type == "enum" else None
    return {"key": key, "type": spec.type, "label": spec.label, "unit": spec.unit, "min": spec.min,
            "values": values, "question": spec.question}


def parse_bool(text: str, loose: bool = True) -> Optional[bool]:
    """是/有/对 -> True, 不是/没有/无 -> False; 不知道 and anything unclear -> None.
    `loose` also reads whole sentences ("我们去年没有欠缴"); turn it off for text that may be a question."""
    cleaned = str(text).strip().strip("。.!！~～").lower()
    if cleaned in _TRUE:
        return True
    if cleaned in _FALSE:
        return False
    if cleaned.startswith(_UNSURE):
        return None
    if cleaned.startswith(_FALSE_PREFIXES):
        return False
    if cleaned.startswith(_TRUE_PREFIXES):
        return True
    # A sentence such as "我们去年没有欠缴" or "合同已经签了": a negation anywhere decides.
    if loose and len(cleaned) > 3:
        if any(word in cleaned for word in ("没有", "没", "不是", "不", "未", "无")):
            return False
        if any(word in cleaned for word in ("是的", "有", "已经", "已", "对", "确实")):
            return True
    return None


def match_enum(key: str, text: str) -> Optional[str]:
    """The code whose code, label or synonym the text names; the longest match wins; None if unclear."""
    cleaned = str(text).strip().lower()
    values = kb().fact_values(key)
    for value in values:
        if cleaned in (value.code.lower(), value.label.lower()) or cleaned in (s.lower() for s in value.synonyms):
            return value.code
    best_length, best_codes = 0, set()
    for value in values:
        for name in [value.label, *value.synonyms]:
            name = name.lower()
            if name and name in cleaned:
                if len(name) > best_length:
                    best_length, best_codes = len(name), {value.code}
                elif len(name) == best_length:
                    best_codes.add(value.code)
    return best_codes.pop() if len(best_codes) == 1 else None


def enum_label(key: str, code: str) -> str:
    return next((value.label for value in kb().fact_values(key) if value.code == code), code)


def coerce(key: str, value: Any) -> Any:
    """The typed value of one fact, from a Python value or from text; FactError when it cannot be."""
    spec = fact(key)
    if spec.type == "bool":
        result = value if isinstance(value, bool) else parse_bool(value)
        if result is None:
            raise FactError(f"{spec.label}（{key}）需要回答“是”或“否”，收到 {value!r} (expected yes/no)")
        return result
    if spec.type == "enum":
        code = match_enum(key, value)
        if code is None:
            allowed = "、".join(f"{v.label}({v.code})" for v in kb().fact_values(key))
            raise FactError(f"{spec.label}（{key}）只能是：{allowed}；收到 {value!r} (not an allowed value)")
        return code
    number = _number(spec, value)
    if spec.min is not None and number < spec.min:
        raise FactError(f"{spec.label}（{key}）不能小于{spec.min:g}，收到 {value!r} (below minimum)")
    if spec.type == "int":
        if number != int(number):
            raise FactError(f"{spec.label}（{key}）需要整数，收到 {value!r} (expected a whole number)")
        return int(number)
    return number


def _number(spec: Fact, value: Any) -> float:
    if isinstance(value, bool):
        raise FactError(f"{spec.label}（{spec.key}）需要数字，收到 {value!r} (expected a number)")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        if spec.unit == "个月":
            return parse_months(value)
        if spec.unit == "年" and re.search("[年月]", str(value)):
            return parse_months(value) / 12  # "两年半", "18个月" for a fact counted in years
        return parse_number(value)
    except ValueError:
        if parse_bool(str(value), loose=False) is False:  # "没有", "无" to "裁员多少人" means none
            return 0.0
        raise FactError(f"{spec.label}（{spec.key}）需要数字，收到 {value!r} (expected a number)") from None


def coerce_all(values: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Every fact coerced; keys whose value is None are left out (None means 'not known yet')."""
    return {key: coerce(key, value) for key, value in (values or {}).items() if value is not None}


# Who a fact is about, read from how the catalogue asks it: "贵单位…" is asked of an organisation,
# "您…" (with no 单位 in it) of a person; "原单位是否为您缴纳" is the person's.
def _asks(spec: Fact) -> Optional[str]:
    if "贵单位" in spec.question:
        return "organisation"
    if "您" in spec.question and "单位" not in spec.question.replace("原单位", ""):
        return "person"
    return None


def implied(values: Mapping[str, Any]) -> Dict[str, Any]:
    """The facts with what they imply and nobody needs to be asked: a 小型企业 is an enterprise, and who
    is asking (applicant) follows from facts only an organisation or only a person has — when they agree."""
    facts = dict(values)
    if "enterprise_size" in facts and "org_type" not in facts:
        facts["org_type"] = "enterprise"
    # Someone drawing unemployment benefit now has not come to the end of it; an employee of an
    # enterprise is one of the groups the subsidised training names first
    # (附件清单第10项「经办流程」: 组织企业职工、就业重点群体…开展培训).
    if facts.get("employment_status") == "receiving_unemployment_benefit":
        facts.setdefault("unemployment_benefit_expired", False)
    if facts.get("employment_status") == "employed":
        facts.setdefault("training_target_group", True)
    if "applicant" not in facts:
        if "org_type" in facts:
            facts["applicant"] = "organisation"
        else:
            askers = {_asks(catalogue()[key]) for key in facts if key in catalogue()} - {None}
            if len(askers) == 1:
                facts["applicant"] = askers.pop()
    return facts
