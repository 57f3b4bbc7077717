"""The shape of the knowledge-base files: what a measure, a fact and a service entry must contain.

Loading (policies_kb.loader) validates every file against these models, so a missing or misspelt
field fails at load time with the file and the field named.
"""
from __future__ import annotations

from datetime import date
from typing import Dict, List, Literal, Optional

from pydantic import BaseModel, Extra, Field, root_validator, validator

from . import sources

ASPECTS = ("overview", "conditions", "amount", "process", "materials", "deadline", "office", "online_entry")
ASPECT_LABELS = {
    "overview": "政策内容",
    "conditions": "申请条件",
    "amount": "补贴标准",
    "process": "办理流程",
    "materials": "所需材料",
    "deadline": "执行期限",
    "office": "责任科室",
    "online_entry": "办理入口",
}
CATEGORIES = ("社保费缓缴", "降费率", "稳岗扩就业", "保基本民生", "创业")
Applicant = Literal["organisation", "person"]


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


def _check_sources(values: List[str]) -> List[str]:
    if not values:
        raise ValueError("至少需要一个来源 (at least one source id)")
    for source_id in values:
        if not sources.is_valid(source_id):
            raise ValueError(f"无效的来源编号 {source_id!r} (see policies_kb/sources.py for the id format)")
    return values


class Statement(Strict):
    """One thing the assistant may say, with where the notice says it.

    kind fact: a quote from the notice backs it.  absent: the notice does not say this (the text says so).
    discrepancy: two places in the notice disagree; both are quoted.
    """

    text: str = Field(..., min_length=2)
    sources: List[str]
    quotes: List[str] = []
    kind: Literal["fact", "absent", "discrepancy"] = "fact"

    _sources = validator("sources", allow_reuse=True)(_check_sources)

    @root_validator(skip_on_failure=True)
    def _quotes_back_facts(cls, values):
        needed = {"fact": 1, "discrepancy": 2, "absent": 0}[values["kind"]]
        if len(values["quotes"]) < needed:
            raise ValueError(f"kind {values['kind']} needs at least {needed} quote(s) from the notice")
        return values


class Period(Strict):
    """When a measure (or one route of it) holds. end None means 持续实施."""

    route: Optional[str] = None
    start: Optional[date] = None
    end: Optional[date] = None
    wording: str
    sources: List[str]
    quotes: List[str] = Field(..., min_items=1)

    _sources = validator("sources", allow_reuse=True)(_check_sources)

    def covers(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


class Route(Strict):
    """One of several ways to qualify, e.g. 扩围行业困难企业 versus 受疫情严重影响地区中小微企业."""

    id: str
    name: str
    sources: List[str]

    _sources = validator("sources", allow_reuse=True)(_check_sources)


class Parameter(Strict):
    """A number the rules use (amount, rate, threshold), with the clause that sets it."""

    value: float
    unit: Literal["元", "比例", "个月", "人", "次", "年"]
    description: str
    sources: List[str]
    quotes: List[str] = Field(..., min_items=1)

    _sources = validator("sources", allow_reuse=True)(_check_sources)


class EntryUse(Strict):
    """A measure's use of a service entry: which entry and what to do there."""

    entry: str
    purpose: str
    sources: List[str]

    _sources = validator("sources", allow_reuse=True)(_check_sources)


class Aspects(Strict):
    overview: List[Statement] = Field(..., min_items=1)
    conditions: List[Statement] = Field(..., min_items=1)
    amount: List[Statement] = Field(..., min_items=1)
    process: List[Statement] = Field(..., min_items=1)
    materials: List[Statement] = Field(..., min_items=1)
    office: List[Statement] = Field(..., min_items=1)
    # deadline and online_entry are built from `validity` and `service_entries`; these add to them.
    deadline: List[Statement] = []
    online_entry: List[Statement] = []


class Measure(Strict):
    number: int = Field(..., ge=1, le=19)
    id: str = Field(..., regex=r"^[a-z][a-z_]+$")
    name: str
    aliases: List[str] = Field(..., min_items=1)
    keywords: List[str] = []
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    applicants: List[Applicant] = Field(..., min_items=1)
    sources: List[str]
    routes: List[Route] = []
    validity: List[Period] = Field(..., min_items=1)
    caveats: List[Statement] = []
    # The attachment says the procedure is still to be set by the region (待自治区进一步明确操作流程后实施):
    # nobody can be told they will get it, so the engine's verdict stays undetermined.
    procedure_pending: Optional[Statement] = None
    parameters: Dict[str, Parameter] = {}
    service_entries: List[EntryUse] = []
    aspects: Aspects

    _sources = validator("sources", allow_reuse=True)(_check_sources)

    @root_validator(skip_on_failure=True)
    def _routes_and_entries_consistent(cls, values):
        route_ids = [route.id for route in values["routes"]]
        for period in values["validity"]:
            if period.route is not None and period.route not in route_ids:
                raise ValueError(f"validity names route {period.route!r}, which is not among routes {route_ids}")
        for route_id in route_ids:
            if not any(p.route in (None, route_id) for p in values["validity"]):
                raise ValueError(f"route {route_id!r} has no validity period (give one with route: {route_id}, or one without a route)")
        if not values["service_entries"] and not values["aspects"].online_entry:
            raise ValueError("give service_entries, or aspects.online_entry saying why there is none")
        return values

    def param(self, name: str) -> float:
        return self.parameters[name].value

    def route_name(self, route_id: Optional[str]) -> Optional[str]:
        return next((route.name for route in self.routes if route.id == route_id), None)

    def periods_for(self, route_id: Optional[str] = None) -> List[Period]:
        if route_id is None:
            return list(self.validity)
        return [period for period in self.validity if period.route in (None, route_id)]

    def in_force(self, day: date, route_id: Optional[str] = None) -> bool:
        return any(period.covers(day) for period in self.periods_for(route_id))


class ServiceEntry(Strict):
    id: str
    name: str
    kind: Literal["online", "offline"]
    audience: Literal["organisation", "person", "both"]
    url: Optional[str] = Field(None, regex=r"^https?://")
    sources: List[str]
    quote: str

    _sources = validator("sources", allow_reuse=True)(_check_sources)


class EnumValue(Strict):
    code: str
    label: str
    synonyms: List[str] = []


class Fact(Strict):
    key: str = Field(..., regex=r"^[a-z][a-z0-9_]+$")
    type: Literal["bool", "int", "number", "enum"]
    label: str
    question: str
    unit: Optional[str] = None
    min: Optional[float] = None
    values: List[EnumValue] = []
    values_from: Optional[Literal["industries"]] = None
    # A bool fact that a bare "yes" to this question establishes (签了 → a contract exists); the question is then
    # asked again for the number.
    affirmed_by: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _enum_has_values(cls, values):
        is_enum = values["type"] == "enum"
        has_values = bool(values["values"]) or values["values_from"] is not None
        if is_enum != has_values:
            raise ValueError("enum facts need values (or values_from); other types must not have them")
        return values


class Topic(Strict):
    """A word for a group of measures; asking with it (and no measure's own name) needs a clarification."""

    id: str
    label: str
    question: str
    terms: List[str] = Field(..., min_items=1)
    measures: List[str] = Field(..., min_items=1)
    narrows_only: bool = False  # only narrows another topic; never a reason to ask on its own


class IndustryGroup(Strict):
    label: str
    sources: List[str]
    quote: str

    _sources = validator("sources", allow_reuse=True)(_check_sources)


class Industry(Strict):
    code: str
    group: Literal["special_hardship", "hardship", "other"]
    label: str
    synonyms: List[str] = []


class IndustriesFile(Strict):
    groups: Dict[str, IndustryGroup]
    industries: List[Industry]
