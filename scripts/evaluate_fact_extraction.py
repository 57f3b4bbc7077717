"""How well facts stated in conversation turns are read, without the bot: the cue phrases alone
(bot/stated_facts.py) against the cues plus the learned model (bot/fact_classifier.py) trained on other sets.

For each turn of the test file the facts read are resolved as the check in progress resolves them (the
candidates the labelled measure's rule reads, with the facts known so far) and compared with the turn's
`facts` label: precision, recall, and the turns where every labelled fact was read and nothing wrong was.

Usage: python scripts/evaluate_fact_extraction.py --train A.yml B.yml ... --test G.yml [--show]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.components.fact_classifier import learned_entities  # noqa: E402
from bot.components.policy_entities import entities_for  # noqa: E402
from bot.fact_classifier import FactModel, labelled_turns  # noqa: E402
from bot.stated_facts import resolve  # noqa: E402
from bot.text import normalise  # noqa: E402
from policies_kb.engine import facts_read  # noqa: E402
from policies_kb.facts import FactError, implied  # noqa: E402
from policies_kb.loader import kb  # noqa: E402


def cue_facts_and_entities(text: str) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """(the rule-based component's entities, the named values among them)."""
    entities = entities_for(text)
    return entities, {e["entity"]: e["value"] for e in entities if e["entity"] in kb().facts}


def reads(measure: str, known: Dict[str, Any]) -> List[str]:
    try:
        return facts_read(measure, implied(known))
    except FactError:
        return []


def score(model: FactModel, test: Path, show: bool = False) -> Dict[str, Dict[str, int]]:
    """True and false positives, misses and exactly read turns of the test file, for the cues alone and
    for the cues with the model."""
    totals = {name: {"tp": 0, "fp": 0, "fn": 0, "exact": 0, "turns": 0} for name in ("cues", "cues+learned")}
    for case in yaml.safe_load(Path(test).read_text(encoding="utf-8")):
        known: Dict[str, Any] = {}
        measure = None
        for turn in case["turns"]:
            expect = turn.get("expect") or {}
            measure = expect.get("measure") or measure
            gold = dict(expect.get("facts") or {})
            text = normalise(turn["user"])
            entities, named = cue_facts_and_entities(text)
            stated = [e for e in entities if e["entity"] == "stated_fact"]
            wanted = reads(measure, {**known, **gold}) if measure else []
            cue_facts = {**{k: v for k, v in named.items() if not wanted or k in wanted}, **resolve(stated, wanted)}
            extra = resolve(learned_entities(model, text, entities), wanted)
            for name, found in (("cues", cue_facts), ("cues+learned", {**extra, **cue_facts})):
                tally = totals[name]
                # Scored on the facts the measure reads (or all, with no measure), as the check uses them.
                found = {k: v for k, v in found.items() if not wanted or k in wanted or k in gold}
                right = {k for k, v in found.items() if k in gold and _same(v, gold[k])}
                wrong = {k for k in found if k not in right and (k in gold or k in wanted)}
                missed = {k for k in gold if k not in right}
                tally["tp"] += len(right)
                tally["fp"] += len(wrong)
                tally["fn"] += len(missed)
                tally["exact"] += not wrong and not missed
                tally["turns"] += 1
                if show and name == "cues+learned" and (wrong or missed):
                    print(f"{case['id']} {turn['user']}\n   gold {gold}\n   got  {found}  (learned {extra})")
            known.update(gold)
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    model = FactModel().fit(labelled_turns(Path(p) for p in args.train))
    for name, tally in score(model, Path(args.test), args.show).items():
        precision = tally["tp"] / max(1, tally["tp"] + tally["fp"])
        recall = tally["tp"] / max(1, tally["tp"] + tally["fn"])
        print(f"{name:13s} precision {precision:.3f} recall {recall:.3f} turns exact {tally['exact']}/{tally['turns']} "
              f"({tally['exact'] / max(1, tally['turns']):.1%}) fp {tally['fp']} fn {tally['fn']}")
    return 0


def _same(found: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        return found is expected or found == expected
    try:
        return abs(float(found) - float(expected)) < 0.01
    except (TypeError, ValueError):
        return str(found) == str(expected)


if __name__ == "__main__":
    sys.exit(main())
