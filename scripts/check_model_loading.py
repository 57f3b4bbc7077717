"""Loads the trained model twice, Rasa's way and bot/model_loading.py's (the load without the training
step, and predictions through the one concrete function), in separate processes, and
compares every NLU prediction on the held-out questions and the load times.

Usage: python scripts/check_model_loading.py [--model models/policybot.tar.gz] [--cases 300]
Prints the load times and the largest difference in any confidence; exits 1 when an intent differs.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(fast: bool, model: str, count: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import yaml
    from rasa.core.agent import Agent

    from bot import event_lookup, model_loading

    if fast:
        model_loading.install()
    event_lookup.install()
    started = time.perf_counter()
    agent = Agent.load(model)
    loaded = time.perf_counter() - started
    cases = []
    for name in ("heldout.yml", "heldout_b.yml"):
        cases += yaml.safe_load((ROOT / "tests" / "nlu" / name).read_text(encoding="utf-8"))
    texts = [case["text"] for case in cases][:count]

    async def parse_all():
        return [await agent.parse_message(text) for text in texts]

    results = asyncio.run(parse_all())
    print(json.dumps({"seconds": loaded, "results": [
        {"text": r["text"], "ranking": [(i["name"], i["confidence"]) for i in r["intent_ranking"]]}
        for r in results]}, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "policybot.tar.gz"))
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--child", choices=["rasa", "fast"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child == "fast", args.model, args.cases)
        return 0
    runs = {}
    for way in ("rasa", "fast"):
        out = subprocess.run([sys.executable, __file__, "--child", way, "--model", args.model, "--cases",
                              str(args.cases)], check=True, capture_output=True, text=True).stdout
        runs[way] = json.loads(out.strip().splitlines()[-1])
        print(f"{way:5} model load {runs[way]['seconds']:.1f} s")
    differing, largest = 0, 0.0
    for a, b in zip(runs["rasa"]["results"], runs["fast"]["results"]):
        if [n for n, _ in a["ranking"]] != [n for n, _ in b["ranking"]]:
            differing += 1
        largest = max([largest] + [abs(x - y) for (_, x), (_, y) in zip(a["ranking"], b["ranking"])])
    print(f"{len(runs['rasa']['results'])} questions: {differing} with a different intent ranking, "
          f"largest confidence difference {largest:.2e}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
