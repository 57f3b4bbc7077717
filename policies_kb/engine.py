"""The eligibility engine: facts and a date in, an explained and cited verdict out.

`check(measure, facts, as_of)` runs one measure's rule; `checkup(facts, as_of)` runs all 19 (政策体检).
`CheckResult.to_dict()` is the stable JSON shape the CLI, the bot and the agent panel share
(documented in README.md, section "Eligibility result").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import sources
from .facts import coerce_all, fact
from .loader import kb
from .rules import RULES
from .rules.common import Assessment, Condition, Facts, Route, Status, number_text
from .schema import Measure

NOTICE_DATE = date(2022, 7, 18)
# How each `status` is said, wherever a verdict is shown in a word (CLI, bot, panel).
VERDICT_LABELS = {"eligible": "符合", "not_eligible": "不符合", "undetermined": "尚不能确定",
                  "ended": "已执行期满，不能申请", "not_started": "尚未开始执行，不能申请"}


@dataclass(frozen=True)
class ConditionResult:
    id: str
    route: Optional[str]
    status: str
    text: str
    source: str

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "route": self.route, "status": self.status, "text": self.text,
                "source": self.source, "source_label": sources.label(self.source)}


@dataclass
class CheckResult:
    measure: Measure
    as_of: date
    eligible: Optional[bool]
    route: Optional[str]
    in_force: bool
    ended_on: Optional[date]
    starts_on: Optional[date]
    conditions: List[ConditionResult]
    missing_facts: List[str]
    amount_yuan: Optional[float]
    amount_kind: Optional[str]
    amount_text: Optional[str]
    amount_missing_facts: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    # The verdict on the conditions alone, whatever the date: True on an ended measure means "would have qualified".
    conditions_met: Optional[bool] = None
    # The sum the rule computes; on an ended (or not yet started) measure it is not payable, only what it would be.
    amount_in_period_yuan: Optional[float] = None

    @property
    def status(self) -> str:
        """eligible / not_eligible / undetermined, or ended / not_started when the date alone rules it out."""
        if not self.in_force:
            return "ended" if self.ended_on else "not_started"
        return {True: "eligible", False: "not_eligible", None: "undetermined"}[self.eligible]

    @property
    def pending_procedure(self) -> bool:
        return any(condition.id == PENDING_PROCEDURE for condition in self.conditions)

    @property
    def next_question(self) -> Optional[str]:
        return fact(self.missing_facts[0]).question if self.missing_facts else None

    def service_entries(self) -> List[Dict[str, Any]]:
        knowledge = kb()
        return [{"id": use.entry, "name": knowledge.entries[use.entry].name, "kind": knowledge.entries[use.entry].kind,
                 "url": knowledge.entries[use.entry].url, "purpose": use.purpose}
                for use in self.measure.service_entries]

    def summary(self) -> str:
        """One Chinese sentence: the verdict, the amount, and whether the measure can still be used."""
        name = self.measure.name
        route_name = self.measure.route_name(self.route)
        if not self.in_force:
            return self._out_of_period_summary()
        if self.eligible:
            text = f"按通知所列条件，您符合“{name}”" + (f"（{route_name}）" if route_name else "")
        elif self.eligible is False:
            text = f"按通知所列条件，您不符合“{name}”"
        elif self.missing_facts:
            text = f"目前还不能确定是否符合“{name}”"
        elif self.pending_procedure and self._only_pending_unknown():
            text = (f"按您提供的情况，“{name}”所列条件都已满足，但该项“待自治区进一步明确操作流程后实施”，"
                    "目前还不能确定能否申领")
        else:
            reasons = [c.text.rstrip("。") for c in self.conditions if c.status == "unknown"]
            text = f"按您提供的情况，目前还不能确定是否符合“{name}”" + (f"：{'；'.join(reasons)}" if reasons else "")
        if self.eligible is not False and self.amount_text:
            text += f"；标准：{self.amount_text.rstrip('。')}"
        return text + "。" + validity_sentence(self.measure, self.as_of, self.route)

    def _only_pending_unknown(self) -> bool:
        return all(c.status != "unknown" or c.id == PENDING_PROCEDURE for c in self.conditions)

    def _out_of_period_summary(self) -> str:
        """Ended or not yet started: no promise, but say how the conditions would have come out."""
        name, day = self.measure.name, chinese_date(self.as_of)
        if self.ended_on:
            when = f"已于{chinese_date(self.ended_on)}执行期满，截至{day}已不能申请"
        else:
            when = f"自{chinese_date(self.starts_on)}起执行，截至{day}尚未开始，还不能申请"
        if self.conditions_met:
            text = f"按通知所列条件，您的情况原本符合“{name}”，但该政策{when}"
            if self.amount_in_period_yuan is not None and self.ended_on:
                text += f"（按标准，执行期内应为{number_text(self.amount_in_period_yuan, '元')}，现已不能申领）"
        elif self.conditions_met is False:
            text = f"按通知所列条件，您不符合“{name}”，而且该政策{when}"
        else:
            text = f"“{name}”{when}"
        if self.amount_text:
            text += f"。标准：{self.amount_text.rstrip('。')}"
        return text + "。"

    def to_dict(self) -> Dict[str, Any]:
        return {
            "measure": self.measure.id,
            "number": self.measure.number,
            "name": self.measure.name,
            "as_of": self.as_of.isoformat(),
            "eligible": self.eligible,
            "status": self.status,
            "conditions_met": self.conditions_met,
            "route": self.route,
            "route_name": self.measure.route_name(self.route),
            "in_force": self.in_force,
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "validity": [{"route": p.route, "start": p.start.isoformat() if p.start else None,
                          "end": p.end.isoformat() if p.end else None, "wording": p.wording,
                          "sources": list(p.sources)} for p in self.measure.periods_for(self.route)],
            "amount_yuan": self.amount_yuan,
            "amount_kind": self.amount_kind,
            "amount_text": self.amount_text,
            "amount_missing_facts": list(self.amount_missing_facts),
            "amount_in_period_yuan": self.amount_in_period_yuan,
            "conditions": [condition.to_dict() for condition in self.conditions],
            "missing_facts": list(self.missing_facts),
            "next_question": self.next_question,
            "service_entries": self.service_entries(),
            "notes": list(self.notes),
            "summary": self.summary(),
        }


def kb_standard(measure: Measure) -> str:
    """The measure's amount answer from the knowledge base, for rules that compute no sum of their own."""
    return "".join(statement.text for statement in measure.aspects.amount)


def _dates(measure: Measure, day: date, route: Optional[str]) -> Tuple[bool, Optional[date], Optional[date]]:
    """(in force, the end it passed, the start it has not reached) for the day."""
    periods = measure.periods_for(route)
    in_force = any(period.covers(day) for period in periods)
    if in_force:
        return True, None, None
    ended = [p.end for p in periods if p.end is not None and p.end < day]
    upcoming = [p.start for p in periods if p.start is not None and p.start > day]
    return False, max(ended) if ended else None, min(upcoming) if upcoming else None


def validity_sentence(measure: Measure, day: date, route: Optional[str] = None) -> str:
    """'截至2026年11月26日，该政策已于2022年12月31日执行期满。' and the like."""
    in_force, ended_on, starts_on = _dates(measure, day, route)
    when = f"截至{chinese_date(day)}"
    if in_force:
        ends = [p.end for p in measure.periods_for(route) if p.covers(day)]
        if any(end is None for end in ends):
            return f"{when}，该政策持续实施。"
        return f"{when}，该政策仍在执行期内（执行至{chinese_date(max(ends))}）。"
    if ended_on:
        return f"{when}，该政策已于{chinese_date(ended_on)}执行期满，目前已不能申请。"
    return f"{when}，该政策尚未开始执行（自{chinese_date(starts_on)}起）。"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _decide(routes: List[Route]) -> Tuple[Optional[bool], Optional[Route]]:
    statuses = [route.status for route in routes]
    for route in routes:
        if route.status is Status.MET:
            return True, route
    if all(status is Status.UNMET for status in statuses):
        return False, None
    return None, None


def _missing(routes: List[Route], known: Mapping[str, Any]) -> List[str]:
    """Facts that would decide the undecided routes, in the order their conditions are listed. A condition
    on two facts (裁员率 = layoffs ÷ insured staff) needs only the one not known yet."""
    missing: List[str] = []
    for route in routes:
        if route.status is not Status.UNKNOWN:
            continue
        for condition in route.conditions:
            if condition.status is Status.UNKNOWN:
                missing.extend(key for key in condition.needs if key not in missing and key not in known)
    return missing


def _shown_conditions(routes: List[Route], chosen: Optional[Route]) -> List[ConditionResult]:
    shown = [chosen] if chosen else routes
    results, seen = [], set()
    for route in shown:
        for condition in route.conditions:
            key = (condition.id, condition.status, condition.text)
            if key in seen:
                continue  # a shared condition (e.g. applicant) is listed once
            seen.add(key)
            results.append(ConditionResult(condition.id, route.id, condition.status.value, condition.text, condition.source))
    return results


def as_date(as_of: Optional[date]) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, str):
        try:
            return date.fromisoformat(as_of)
        except ValueError:
            raise ValueError(f"日期格式应为 YYYY-MM-DD，收到 {as_of!r} (expected YYYY-MM-DD)") from None
    return as_of


def check(measure_key: str, facts: Optional[Mapping[str, Any]] = None, as_of: Optional[date] = None) -> CheckResult:
    """Whether the applicant described by `facts` qualifies for one measure, as of a date (default today).

    The conditions are judged first; then each route must also be in force on the day (an ended measure
    is a "no" on that day, whatever the conditions say), and a measure whose procedure is still pending
    (待自治区进一步明确操作流程后实施) can at best be undetermined.
    Raises KeyError for an unknown measure and facts.FactError for an unknown key or a badly typed value.
    """
    measure = kb().measure(measure_key)
    day = as_date(as_of)
    given = coerce_all(facts)
    assessment: Assessment = RULES[measure.id](Facts(given), measure)
    conditions_met, fitting = _decide(assessment.routes)
    routes = [_on_the_day(route, measure, day) for route in assessment.routes]
    eligible, chosen = _decide(routes)
    route_id = chosen.id if chosen else None
    # The dates are those of the route the person fits, so an ended route reads as ended.
    in_force, ended_on, starts_on = _dates(measure, day, route_id or (fitting.id if fitting else None))
    payable = in_force and eligible is not False
    notes = [caveat.text for caveat in measure.caveats] + list(assessment.notes)
    if day < NOTICE_DATE:
        notes.append(f"所选日期早于本通知印发日期（{chinese_date(NOTICE_DATE)}），当时适用的政策以当时文件为准。")
    standard = assessment.amount_text or kb_standard(measure)
    return CheckResult(
        measure=measure, as_of=day, eligible=eligible, route=route_id,
        in_force=in_force, ended_on=ended_on, starts_on=starts_on,
        conditions=_shown_conditions(routes, chosen),
        missing_facts=_missing(routes, given) if eligible is None else [],
        amount_yuan=assessment.amount_yuan if payable else None,
        amount_kind=assessment.amount_kind if payable and assessment.amount_yuan is not None else None,
        amount_text=f"{standard.rstrip('。')}；{assessment.amount_calc}" if payable and assessment.amount_calc else standard,
        amount_missing_facts=list(assessment.amount_needs) if payable else [], notes=notes,
        conditions_met=conditions_met,
        amount_in_period_yuan=assessment.amount_yuan if conditions_met is not False else None,
    )


def facts_read(measure_key: str, facts: Optional[Mapping[str, Any]] = None) -> List[str]:
    """The facts a measure's rule looks at for this applicant: what a stated fact may be used as."""
    measure = kb().measure(measure_key)
    view = Facts(coerce_all(facts))
    RULES[measure.id](view, measure)
    return list(view.read)


PENDING_PROCEDURE = "procedure_pending"


def _on_the_day(route: Route, measure: Measure, day: date) -> Route:
    """The route with what the date and the procedure add: a period that has ended or not begun is an unmet
    condition; a procedure still to be set by the region leaves the route undecided at best."""
    extra: List[Condition] = []
    if not measure.in_force(day, route.id):
        periods = measure.periods_for(route.id)
        ended = [p for p in periods if p.end is not None and p.end < day]
        if ended:
            last = max(ended, key=lambda p: p.end)
            text = f"该政策已于{chinese_date(last.end)}执行期满，截至{chinese_date(day)}已不能申请"
            source = last.sources[-1]
        else:
            first = min((p for p in periods if p.start is not None), key=lambda p: p.start)
            text = f"该政策自{chinese_date(first.start)}起执行，截至{chinese_date(day)}尚未开始"
            source = first.sources[0]
        extra.append(Condition("in_force", Status.UNMET, text, source))
    if measure.procedure_pending:
        extra.append(Condition(
            PENDING_PROCEDURE, Status.UNKNOWN,
            "附件清单写明本项“待自治区进一步明确操作流程后实施”，目前没有可办理的流程，不能确定能否申领",
            measure.procedure_pending.sources[0]))
    return Route(route.id, route.conditions + tuple(extra)) if extra else route


@dataclass
class Checkup:
    """A 政策体检: every measure's result for one profile, sorted into what the applicant can use."""

    as_of: date
    results: List[CheckResult]

    def group(self, name: str) -> List[CheckResult]:
        return [result for result in self.results if _group(result) == name]

    def to_dict(self, include_not_eligible: bool = False) -> Dict[str, Any]:
        groups = ["eligible", "undetermined", "ended"] + (["not_eligible"] if include_not_eligible else [])
        return {"as_of": self.as_of.isoformat(),
                **{name: [result.to_dict() for result in self.group(name)] for name in groups},
                "not_eligible_count": len(self.group("not_eligible"))}


def _group(result: CheckResult) -> str:
    """A measure the profile does not fit is not listed as ended: the check-up lists what the person could use."""
    if result.conditions_met is False:
        return "not_eligible"
    return "ended" if result.status in ("ended", "not_started") else result.status


def checkup(facts: Optional[Mapping[str, Any]] = None, as_of: Optional[date] = None) -> Checkup:
    """Run all 19 measures on one profile."""
    day = as_date(as_of)
    coerced = coerce_all(facts)
    return Checkup(as_of=day, results=[check(measure.id, coerced, day) for measure in kb().measures])
