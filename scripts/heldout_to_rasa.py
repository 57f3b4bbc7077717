"""Write the held-out questions (tests/nlu/heldout.yml) as Rasa NLU test data, for `rasa test nlu`.

Intent labels: a question about one measure -> ask_<measure>; ambiguous -> ask_topic; follow-up text
-> ask_followup; out of scope -> out_of_scope; small talk -> its intent.
Usage: python scripts/heldout_to_rasa.py OUTPUT.yml [CASES.yml]   (CASES: tests/nlu/heldout.yml by default)
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def intent_of(case: dict) -> str:
    if case.get("context"):
        return "ask_followup"
    if "measure" in case:
        return f"ask_{case['measure']}"
    if "clarify" in case:
        return "ask_topic"
    return "out_of_scope" if case.get("out_of_scope") else case["smalltalk"]


def main(output: str, cases_path: str = str(ROOT / "tests" / "nlu" / "heldout.yml")) -> int:
    cases = yaml.safe_load(Path(cases_path).read_text(encoding="utf-8"))
    by_intent = defaultdict(list)
    for case in cases:
        by_intent[intent_of(case)].append(case["text"].replace("\n", " "))
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
