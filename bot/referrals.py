"""Where to send a question outside the 19 measures: the referral table in bot/referrals.yml.

The table is the one list of out-of-scope words (bot/understanding.py matches them) and of the office each
kind of question belongs to (actions/replies.py words the decline with it).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

REFERRALS_PATH = Path(__file__).parent / "referrals.yml"


@dataclass(frozen=True)
class Referral:
    id: str
    subject: str
    terms: Tuple[str, ...]
    office: Optional[str] = None
    phone: Optional[str] = None
    in_passing: bool = False


@functools.lru_cache(maxsize=1)
def _table() -> Tuple[Dict[str, str], Tuple[Referral, ...]]:
    data = yaml.safe_load(REFERRALS_PATH.read_text(encoding="utf-8"))
    referrals = tuple(Referral(id=item["id"], subject=item["subject"], terms=tuple(item["terms"]),
                               office=item.get("office"), phone=item.get("phone") and str(item["phone"]),
                               in_passing=bool(item.get("in_passing"))) for item in data["referrals"])
    seen: Dict[str, str] = {}
    for referral in referrals:
        for term in referral.terms:
            if term in seen:
                raise ValueError(f"{REFERRALS_PATH.name}: '{term}' is listed under both {seen[term]} and {referral.id}")
            seen[term] = referral.id
    return data["default"], referrals


def default() -> Dict[str, str]:
    return _table()[0]


def referrals() -> Tuple[Referral, ...]:
    return _table()[1]


def out_of_scope_terms() -> List[str]:
    return [term for referral in referrals() for term in referral.terms]


def referral_for(terms: Sequence[str]) -> Optional[Referral]:
    """The referral of the first term (in reading order) that has one."""
    by_term = {term: referral for referral in referrals() for term in referral.terms}
    return next((by_term[t] for t in terms if t in by_term), None)


def only_in_passing(terms: Sequence[str]) -> bool:
    """Every out-of-scope word found may sit inside a question about a measure (医保, 补缴 …)."""
    by_term = {term: referral for referral in referrals() for term in referral.terms}
    return bool(terms) and all(t in by_term and by_term[t].in_passing for t in terms)
