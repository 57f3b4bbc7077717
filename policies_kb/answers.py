"""Answers to 'what about measure X, aspect Y': text built from the knowledge base, with its sources.

Every channel (CLI, bot, agent panel) renders answers through `answer()`, so a fact is worded in
one place (the measure's YAML file) and always carries its citation and today's validity.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional

from . import sources
from .engine import as_date, validity_sentence
from .loader import kb
from .schema import ASPECT_LABELS, ASPECTS, Measure, Statement


@dataclass(frozen=True)
class Answer:
    measure: Measure
    aspect: str
    as_of: date
    statements: List[Statement]
    in_force: bool

    @property
    def source_ids(self) -> List[str]:
        seen: List[str] = []
        for statement in self.statements:
            seen.extend(source for source in statement.sources if source not in seen)
        return seen

    @property
    def heading(self) -> str:
        return f"【{self.measure.name}·{ASPECT_LABELS[self.aspect]}】"

    def body(self) -> str:
        return "\n".join(statement.text for statement in self.statements)

    def citation(self) -> str:
        return "依据：" + "；".join(sources.label(source) for source in self.source_ids) + f"（{sources.NOTICE_NUMBER}）"

    def entry_line(self) -> Optional[str]:
        """Where to apply, unless this answer is itself about the entries or the measure has ended."""
        if self.aspect == "online_entry" or not self.in_force:
            return None
        uses = self.measure.service_entries
        if not uses:
            return None
        first = kb().entries[uses[0].entry]
        return f"办理入口：{first.name}" + (f" {first.url}" if first.url else "")

    def text(self) -> str:
        lines = [self.heading, self.body(), self.citation(), validity_sentence(self.measure, self.as_of)]
        entry = self.entry_line()
        if entry:
            lines.append(entry)
        return "\n".join(lines)

    def payload(self) -> Dict[str, Any]:
        """The machine-readable part every measure answer carries (README: "Answer payload")."""
        return {
            "measure": self.measure.id,
            "aspect": self.aspect,
            "sources": [{"id": source, "label": sources.label(source)} for source in self.source_ids],
            "in_force": self.in_force,
            "service_entries": [{"id": use.entry, "name": kb().entries[use.entry].name,
                                 "url": kb().entries[use.entry].url} for use in self.measure.service_entries],
        }


def _deadline_statements(measure: Measure) -> List[Statement]:
    statements = []
    for period in measure.validity:
        prefix = f"{measure.route_name(period.route)}：" if period.route else ""
        statements.append(Statement(text=f"{prefix}{period.wording}", sources=period.sources, quotes=period.quotes))
    return statements + list(measure.aspects.deadline)


def _entry_statements(measure: Measure) -> List[Statement]:
    statements = []
    for use in measure.service_entries:
        entry = kb().entries[use.entry]
        where = entry.name + (f"（{entry.url}）" if entry.url else "") + ("（线下）" if entry.kind == "offline" else "")
        statements.append(Statement(text=f"{where}：{use.purpose}", sources=use.sources, quotes=[entry.quote]))
    return statements + list(measure.aspects.online_entry)


def statements_for(measure: Measure, aspect: str) -> List[Statement]:
    if aspect not in ASPECTS:
        raise ValueError(f"未知的问题类型 {aspect!r}，可选：{', '.join(ASPECTS)} (unknown aspect)")
    if aspect == "deadline":
        return _deadline_statements(measure)
    if aspect == "online_entry":
        return _entry_statements(measure)
    statements = list(getattr(measure.aspects, aspect))
    if aspect == "overview":
        statements += list(measure.caveats) + ([measure.procedure_pending] if measure.procedure_pending else [])
    return statements


def answer(measure_key: str, aspect: str = "overview", as_of: Optional[date] = None) -> Answer:
    """The answer about one aspect of one measure, as of a date (default today)."""
    measure = kb().measure(measure_key)
    day = as_date(as_of)
    return Answer(measure=measure, aspect=aspect, as_of=day, statements=statements_for(measure, aspect),
                  in_force=measure.in_force(day))
