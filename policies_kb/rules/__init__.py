"""Eligibility rules as code: one small function per measure, registered under the measure id.

Each rule reads typed facts (rules.common.Facts) and the measure's cited parameters, and returns an
Assessment: the routes it weighed, each condition's status and explanation, and the amount.
"""
from __future__ import annotations

from typing import Callable, Dict

from ..schema import Measure
from .common import Assessment, Facts

Rule = Callable[[Facts, Measure], Assessment]
RULES: Dict[str, Rule] = {}


def rule(*measure_ids: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        for measure_id in measure_ids:
            RULES[measure_id] = function
        return function
    return register


from . import deferral, employment, livelihood, rate_cut, startup  # noqa: E402,F401  (registers the rules)
