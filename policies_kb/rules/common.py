"""Building blocks of the eligibility rules: three-valued conditions, routes and the result of a rule.

A condition is met, unmet or unknown (a fact it needs is missing). A route (one way to qualify) holds
when all its conditions are met; a measure holds when any route holds. Unknown conditions remember
which facts would decide them, so the engine can ask for exactly those, in order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..loader import kb
from ..schema import Measure

SME_SIZES = ("medium", "small", "micro")


class Status(str, Enum):
    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Condition:
    id: str
    status: Status
    text: str
    source: str
    needs: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    id: Optional[str]
    conditions: Tuple[Condition, ...]

    @property
    def status(self) -> Status:
        return _all_status(condition.status for condition in self.conditions)


@dataclass
class Assessment:
    """What a rule returns: the routes it weighed, and the amount where the notice defines one."""

    routes: List[Route]
    amount_yuan: Optional[float] = None
    amount_kind: Optional[str] = None  # exact | maximum | minimum | tiers
    amount_text: Optional[str] = None  # the standard, as the notice states it
    amount_calc: Optional[str] = None  # the sum worked out for these facts ("3人×500元＝1,500元"), when payable
    amount_needs: List[str] = field(default_factory=list)  # facts that would turn the standard into a sum
    notes: List[str] = field(default_factory=list)


class Facts:
    """Read-only view of the coerced facts; reading a key missing from the catalogue is a bug."""

    def __init__(self, values: Dict[str, Any]):
        self._values = values

    def __getitem__(self, key: str) -> Any:
        if key not in kb().facts:
            raise KeyError(f"rule reads {key!r}, which is not in data/facts.yaml")
        return self._values.get(key)

    def known(self, key: str) -> bool:
        return self[key] is not None


def _all_status(statuses: Iterable[Status]) -> Status:
    statuses = list(statuses)
    if Status.UNMET in statuses:
        return Status.UNMET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.MET


def _any_status(statuses: Iterable[Status]) -> Status:
    statuses = list(statuses)
    if Status.MET in statuses:
        return Status.MET
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.UNMET


def judge(id: str, source: str, verdict: Optional[bool], *, met: str, unmet: str, unknown: str,
          needs: Sequence[str] = ()) -> Condition:
    """A condition from a yes/no/unknown verdict, with the text for each outcome."""
    if verdict is None:
        return Condition(id, Status.UNKNOWN, unknown, source, tuple(needs))
    return Condition(id, Status.MET if verdict else Status.UNMET, met if verdict else unmet, source)


def _needs_of(parts: Sequence[Condition]) -> Tuple[str, ...]:
    needs: List[str] = []
    for part in parts:
        if part.status is Status.UNKNOWN:
            needs.extend(key for key in part.needs if key not in needs)
    return tuple(needs)


def any_of(id: str, source: str, parts: Sequence[Condition], *, unmet: str, unknown: str) -> Condition:
    """Met when one part is met (its text explains why); unknown parts tell which facts are needed."""
    status = _any_status(part.status for part in parts)
    if status is Status.MET:
        return Condition(id, status, next(p.text for p in parts if p.status is Status.MET), source)
    return Condition(id, status, unmet if status is Status.UNMET else unknown, source, _needs_of(parts))


def all_of(id: str, source: str, parts: Sequence[Condition], *, met: str) -> Condition:
    """Met when every part is met; otherwise the first failing or unknown part explains."""
    status = _all_status(part.status for part in parts)
    if status is Status.MET:
        return Condition(id, status, met, source)
    first = next(p for p in parts if p.status is status)
    return Condition(id, status, first.text, source, _needs_of(parts) if status is Status.UNKNOWN else ())


def number_text(value: Optional[float], unit: str = "") -> str:
    if value is None:
        return "未知"
    return f"{value:,.0f}{unit}" if value == int(value) else f"{value:,.2f}{unit}"


def percent_text(ratio: Optional[float]) -> str:
    return "未知" if ratio is None else f"{ratio * 100:.4g}%"


# ---- conditions shared by several measures ----------------------------------------------------------

def applicant_fits(f: Facts, measure: Measure) -> Condition:
    """Whether the applicant is the kind (unit or person) the measure serves.

    Without an `applicant` fact the measure's own kind is assumed (nobody asks 失业金 as a company),
    except that giving an organisation type says the applicant is an organisation.
    """
    kind = f["applicant"] or ("organisation" if f.known("org_type") else None)
    serves = "、".join({"organisation": "单位", "person": "个人"}[k] for k in measure.applicants)
    source = measure.sources[0]
    if kind is None or kind in measure.applicants:
        return Condition("applicant", Status.MET, f"本政策面向{serves}", source)
    return Condition("applicant", Status.UNMET, f"本政策面向{serves}，不面向{'单位' if kind == 'organisation' else '个人'}", source)


def industry_group(f: Facts) -> Optional[str]:
    code = f["industry"]
    return None if code is None else kb().industry(code).group


def industry_label(f: Facts) -> str:
    code = f["industry"]
    return "未知行业" if code is None else kb().industry(code).label


def size_label(code: Optional[str]) -> str:
    return {"large": "大型企业", "medium": "中型企业", "small": "小型企业", "micro": "微型企业"}.get(code or "", "规模未知")
