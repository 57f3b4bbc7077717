"""Every quote in the knowledge base appears word for word in the notice (white space aside)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policies_kb import sources
from policies_kb.loader import kb

NOTICE = sources.normalise(sources.notice_text())
SHARED_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "source" / "000_cdfeffd052360c01.txt"


def _quotes():
    knowledge = kb()
    for entry in knowledge.entries.values():
        yield f"service_entries.yaml:{entry.id}", entry.quote
    for group_id, group in knowledge.industries.groups.items():
        yield f"industries.yaml:{group_id}", group.quote
    for measure in knowledge.measures:
        where = f"{measure.number:02d}_{measure.id}"
        for period in measure.validity:
            for quote in period.quotes:
                yield f"{where}:validity", quote
        for name, parameter in measure.parameters.items():
            for quote in parameter.quotes:
                yield f"{where}:parameters.{name}", quote
        pending = [measure.procedure_pending] if measure.procedure_pending else []
        for statement_list, label in [(measure.caveats, "caveats"), (pending, "procedure_pending")] + [
            (getattr(measure.aspects, aspect), f"aspects.{aspect}") for aspect in measure.aspects.__fields__
        ]:
            for statement in statement_list:
                for quote in statement.quotes:
                    yield f"{where}:{label}", quote


@pytest.mark.parametrize("where, quote", list(_quotes()))
def test_quote_is_in_the_notice(where, quote):
    assert sources.normalise(quote) in NOTICE, f"{where}: not found in the notice: {quote}"


def test_packaged_notice_is_the_shared_source():
    if not SHARED_SOURCE.exists():
        pytest.skip("../shared/source is not present on this machine")
    assert sources.notice_text() == SHARED_SOURCE.read_text(encoding="utf-8")
