"""Check a held-out conversation file against the knowledge base and the engine (`policybot facts/check --json`).

Run: .venv/bin/python tests/conversations/verify_heldout.py [--show] [--cases PATH]
(PATH defaults to tests/conversations/heldout_dialogues.yml; set B is heldout_dialogues_b.yml.)
For every turn: measure ids and fact keys exist, enum codes are valid; the facts stated so far
(accumulated over the turns, later statements overriding earlier ones) are passed to
`policybot check <measure> --json --as-of <as_of>`, and the labelled verdict (`status`) and
amount (`amount_yuan`) must match. Turns with a measure, no aspect and no verdict label are reported
when the engine already decides the case (so a decided verdict is not left unlabelled); aspect
questions ("钱打到哪") are answered, not checked, so they carry no verdict.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICYBOT = "/work/main/.venv/bin/policybot"
facts_spec = {f["key"]: f for f in json.loads(subprocess.run([POLICYBOT, "facts", "--json"], capture_output=True, text=True, check=True).stdout)}
measure_ids = {yaml.safe_load(open(p))["id"] for p in (ROOT / "policies_kb/data/measures").glob("*.yaml")}


def enum_codes(spec):
    return {v["code"] for v in spec["values"]}


def check(measure, facts, as_of):
    cmd = [POLICYBOT, "check", measure, "--json", "--as-of", as_of]
    for k, v in facts.items():
        cmd += ["--fact", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"policybot failed: {' '.join(cmd)}\n{out.stdout}{out.stderr}")
    return json.loads(out.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every check")
    parser.add_argument("--cases", default=str(ROOT / "tests/conversations/heldout_dialogues.yml"),
                        help="the conversation file to check (default: set A)")
    args = parser.parse_args(argv)
    show = args.show
    dialogues = yaml.safe_load(open(args.cases, encoding="utf-8"))
    errors, notes, nturns = [], [], 0
    ids = [d["id"] for d in dialogues]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for d in dialogues:
        as_of = str(d.get("as_of", "2026-12-02"))
        facts = {}
        assert 3 <= len(d["turns"]) <= 6, f"{d['id']}: {len(d['turns'])} turns"
        for i, t in enumerate(d["turns"], 1):
            nturns += 1
            where = f"{d['id']} turn {i}"
            e = t.get("expect") or {}
            for k, v in (e.get("facts") or {}).items():
                spec = facts_spec.get(k)
                if spec is None:
                    errors.append(f"{where}: unknown fact {k}")
                    continue
                if spec["type"] == "enum" and v not in enum_codes(spec):
                    errors.append(f"{where}: {k}={v} not in {sorted(enum_codes(spec))}")
                if spec["type"] == "bool" and not isinstance(v, bool):
                    errors.append(f"{where}: {k} must be bool")
                if spec["type"] in ("int", "number") and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    errors.append(f"{where}: {k} must be a number")
                facts[k] = v
            for m in [e.get("measure")] + list(e.get("clarify") or []):
                if m and m not in measure_ids:
                    errors.append(f"{where}: unknown measure {m}")
            m = e.get("measure")
            if not m:
                continue
            r = check(m, facts, as_of)
            got = (r["status"], r["amount_yuan"])
            if show:
                print(where, m, facts, got, r["missing_facts"])
            if "verdict" in e and e["verdict"] != r["status"]:
                errors.append(f"{where}: verdict {e['verdict']} but engine says {r['status']} ({r['summary']})")
            if "amount_yuan" in e and (r["amount_yuan"] is None or abs(e["amount_yuan"] - r["amount_yuan"]) > 0.01):
                errors.append(f"{where}: amount {e['amount_yuan']} but engine says {r['amount_yuan']}")
            if "amount_yuan" not in e and r["amount_yuan"] is not None and "verdict" in e:
                notes.append(f"{where}: engine computes amount {r['amount_yuan']} (unlabelled)")
            if "verdict" not in e and "aspect" not in e and (r["status"] != "undetermined" or not r["missing_facts"]):
                notes.append(f"{where}: engine already decides {r['status']} (unlabelled)")
    print(f"{len(dialogues)} dialogues, {nturns} user turns")
    for n in notes:
        print("NOTE", n)
    for x in errors:
        print("ERROR", x)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
