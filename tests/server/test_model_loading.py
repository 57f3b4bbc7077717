"""bot/model_loading.py (DIET restored without Rasa's training step, predictions through the traced
concrete function) gives exactly Rasa's predictions: scripts/check_model_loading.py loads the trained
model both ways in separate processes and compares every intent ranking."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "policybot.tar.gz"


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_the_shortcuts_predict_exactly_what_rasa_predicts():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_model_loading.py"), "--cases", "80"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    found = re.search(r"(\d+) questions: (\d+) with a different intent ranking, largest confidence difference (\S+)",
                      run.stdout)
    assert found and int(found.group(1)) == 80 and int(found.group(2)) == 0
    assert float(found.group(3)) <= 1e-6
