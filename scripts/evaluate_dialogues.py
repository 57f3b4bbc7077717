"""Score the running assistant on the held-out conversations (tests/conversations/heldout_dialogues.yml)
through its REST channel, by the rule in tests/conversations/README.md: a turn passes when the reply is
about the expected measure (or is the expected clarification / decline / small talk), the verdict and
the amount are right, and no fact stated so far is asked again.

Usage: python scripts/evaluate_dialogues.py [--url URL] [--cases FILE] [--failures FILE]
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.evaluate_heldout import payloads, post  # noqa: E402


def measures_named(custom: List[Dict[str, Any]]) -> List[str]:
    named = []
    for payload in custom:
        for value in (payload.get("measure"), (payload.get("eligibility") or {}).get("measure"),
                      (payload.get("asking") or {}).get("for")):
            if value and value != "checkup" and value not in named:
                named.append(value)
    return named


def judge_turn(expect: Dict[str, Any], custom: List[Dict[str, Any]], given: Dict[str, Any]) -> List[str]:
    """The reasons a turn fails (empty when it passes)."""
    problems = []
    result = next((p["eligibility"] for p in custom if "eligibility" in p), None)
    if "measure" in expect and expect["measure"] not in measures_named(custom):
        problems.append(f"measure {measures_named(custom)} != {expect['measure']}")
    if "aspect" in expect and not any(p.get("measure") == expect.get("measure") and p.get("aspect") == expect["aspect"]
                                      for p in custom):
        problems.append(f"aspect {[p.get('aspect') for p in custom if 'measure' in p]} != {expect['aspect']}")
    if "clarify" in expect:
        offered = next((p["clarify"] for p in custom if "clarify" in p), None)
        if offered is None or not set(expect["clarify"]) <= set(offered):
            problems.append(f"clarify {offered} does not cover {expect['clarify']}")
    if expect.get("out_of_scope") and not any(p.get("out_of_scope") for p in custom):
        problems.append("not declined as out of scope")
    if "smalltalk" in expect and {"smalltalk": expect["smalltalk"]} not in custom:
        problems.append(f"not small talk {expect['smalltalk']}")
    if "verdict" in expect and (result or {}).get("status") != expect["verdict"]:
        problems.append(f"verdict {(result or {}).get('status')} != {expect['verdict']}")
    if "amount_yuan" in expect and abs(((result or {}).get("amount_yuan") or 0) - expect["amount_yuan"]) > 0.01:
        problems.append(f"amount {(result or {}).get('amount_yuan')} != {expect['amount_yuan']}")
    asked = [p["asking"]["fact"] for p in custom if "asking" in p]
    problems += [f"asked again for {fact}" for fact in asked if fact in given]
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--cases", default=str(ROOT / "tests" / "conversations" / "heldout_dialogues.yml"))
    parser.add_argument("--failures", help="write the failed turns to this JSON file")
    args = parser.parse_args(argv)
    dialogues = yaml.safe_load(Path(args.cases).read_text(encoding="utf-8"))
    turns = passed = whole = 0
    failures = []
    for dialogue in dialogues:
        sender, given, ok = f"dlg-{uuid.uuid4().hex[:10]}", {}, True
        for turn in dialogue["turns"]:
            expect = turn.get("expect") or {}
            given.update(expect.get("facts") or {})
            custom = payloads(post(args.url, sender, turn["user"], dialogue.get("as_of")))
            problems = judge_turn(expect, custom, given)
            turns += 1
            passed += not problems
            ok &= not problems
            if problems:
                failures.append({"id": dialogue["id"], "user": turn["user"], "problems": problems})
        whole += ok
    print(f"conversations: {len(dialogues)}, turns: {turns}")
    print(f"turns passed:         {passed / turns:.1%}   (target ≥ 85%)")
    print(f"conversations passed: {whole / len(dialogues):.1%}")
    if args.failures:
        Path(args.failures).write_text(json.dumps(failures, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{len(failures)} failed turns written to {args.failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
