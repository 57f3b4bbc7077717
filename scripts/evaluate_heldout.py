"""Score the running assistant on the held-out questions (tests/nlu/heldout.yml) through its REST channel.

Each case is a fresh conversation (with its context message first, for follow-ups); the replies'
`custom` payloads are compared with the labels. Prints the numbers the targets in README.md refer to:
Cases whose text is also a training example are skipped (and counted).
  measure accuracy, measure+aspect accuracy  (questions about one measure)
  never answered as a measure                (out-of-scope and small talk)
  clarified rather than guessed              (ambiguous questions)
and the latency of one message. Usage: python scripts/evaluate_heldout.py [--url URL] [--failures FILE]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.text import normalise  # noqa: E402


def training_texts() -> set:
    texts = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            texts |= {normalise(line.strip()[2:].strip()) for line in block["examples"].splitlines()
                      if line.strip().startswith("- ")}
    return texts


def post(url: str, sender: str, text: str, as_of: Optional[str]) -> List[Dict[str, Any]]:
    body = {"sender": sender, "message": text}
    if as_of:
        body["metadata"] = {"as_of": as_of}
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def payloads(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [reply["custom"] for reply in replies if isinstance(reply.get("custom"), dict)]


def judge(case: Dict[str, Any], custom: List[Dict[str, Any]]) -> Dict[str, Any]:
    answered = [p for p in custom if "measure" in p]
    first = answered[0] if answered else {}
    if "measure" in case:
        return {"kind": "measure", "measure_ok": first.get("measure") == case["measure"],
                "aspect_ok": first.get("measure") == case["measure"] and first.get("aspect") == case["aspect"],
                "got": {"measure": first.get("measure"), "aspect": first.get("aspect"),
                        "clarify": next((p["clarify"] for p in custom if "clarify" in p), None)}}
    if "clarify" in case:
        clarify = next((p["clarify"] for p in custom if "clarify" in p), None)
        return {"kind": "clarify", "ok": clarify is not None and not answered,
                "covers": clarify is not None and set(case["clarify"]) <= set(clarify),
                "got": {"clarify": clarify, "measure": first.get("measure")}}
    kind = "out_of_scope" if case.get("out_of_scope") else "smalltalk"
    return {"kind": kind, "ok": not answered, "got": {"measure": first.get("measure"), "payloads": custom}}


def print_entity_scores(cases: List[Dict[str, Any]]) -> None:
    """How well the knowledge-base matcher alone finds a named measure (message level)."""
    from bot.understanding import understand

    found = correct = 0
    questions = [case for case in cases if "measure" in case and not case.get("context")]
    for case in questions:
        measures = understand(normalise(case["text"])).measures
        if measures:
            found += 1
            correct += measures == [case["measure"]]
    print(f"measure entity (KB matcher alone): precision {correct / max(found, 1):.1%}, "
          f"recall {correct / max(len(questions), 1):.1%} of {len(questions)} questions "
          f"(the rest are understood from the situation by the classifier)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--cases", default=str(ROOT / "tests" / "nlu" / "heldout.yml"),
                        help="tests/nlu/heldout.yml (default) or tests/nlu/heldout_b.yml")
    parser.add_argument("--as-of", default=None, help="metadata as_of sent with every message")
    parser.add_argument("--failures", help="write the failed cases to this JSON file")
    args = parser.parse_args()

    cases = yaml.safe_load(Path(args.cases).read_text(encoding="utf-8"))
    seen = training_texts()
    unseen = [case for case in cases if normalise(case["text"]) not in seen]
    if len(unseen) < len(cases):
        print(f"skipped {len(cases) - len(unseen)} cases whose text is also a training example")
    cases = unseen
    results, latencies = [], []
    for case in cases:
        sender = f"eval-{uuid.uuid4().hex[:12]}"
        if case.get("context"):
            post(args.url, sender, case["context"], args.as_of)
        started = time.perf_counter()
        replies = post(args.url, sender, case["text"], args.as_of)
        latencies.append((time.perf_counter() - started) * 1000)
        results.append({**judge(case, payloads(replies)), "case": case})

    def rate(items, key):
        return sum(1 for item in items if item[key]) / len(items) if items else float("nan")

    measure = [r for r in results if r["kind"] == "measure"]
    followups = [r for r in measure if r["case"].get("context")]
    clarify = [r for r in results if r["kind"] == "clarify"]
    others = [r for r in results if r["kind"] in ("out_of_scope", "smalltalk")]
    print(f"cases: {len(results)}  (measure questions {len(measure)}, of which follow-ups {len(followups)}; "
          f"ambiguous {len(clarify)}; out-of-scope/small talk {len(others)})")
    print(f"measure accuracy:            {rate(measure, 'measure_ok'):.1%}   (target ≥ 95%)")
    print(f"measure + aspect accuracy:   {rate(measure, 'aspect_ok'):.1%}   (target ≥ 90%)")
    print(f"  follow-ups, measure+aspect: {rate(followups, 'aspect_ok'):.1%}")
    print(f"never answered as a measure: {rate(others, 'ok'):.1%}   (target ≥ 95%)")
    print(f"ambiguous → clarification:   {rate(clarify, 'ok'):.1%}   (target ≥ 70%); "
          f"candidates cover the label: {rate(clarify, 'covers'):.1%}")
    print(f"latency per message: p50 {statistics.median(latencies):.0f} ms, "
          f"p95 {sorted(latencies)[int(len(latencies) * 0.95) - 1]:.0f} ms")
    print_entity_scores(cases)
    failed = [r for r in results if not r.get("aspect_ok", r.get("ok"))]
    if args.failures:
        Path(args.failures).write_text(json.dumps(failed, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{len(failed)} failures written to {args.failures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
