"""The training data stays honest: generated files current, no conflicting or leaked examples."""
from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from bot.text import normalise
from policies_kb.loader import kb

ROOT = Path(__file__).resolve().parents[1]


def training_examples():
    examples = defaultdict(set)
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    examples[normalise(line.strip()[2:].strip())].add(block["intent"])
    return examples


def test_generated_files_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_no_example_under_two_intents():
    assert {text: intents for text, intents in training_examples().items() if len(intents) > 1} == {}


def test_held_out_questions_are_not_in_the_training_data():
    held_out = yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    leaked = [case["text"] for case in held_out if normalise(case["text"]) in training_examples()]
    assert leaked == []


def test_every_measure_has_training_examples():
    intents = {intent for intents in training_examples().values() for intent in intents}
    assert {f"ask_{m.id}" for m in kb().measures} <= intents


def test_held_out_labels_are_valid():
    ids = {m.id for m in kb().measures}
    for case in yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8")):
        assert case.get("measure", next(iter(ids))) in ids and set(case.get("clarify", [])) <= ids
