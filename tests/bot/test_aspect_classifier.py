"""The learned aspect (bot/aspect_classifier.py): how it is combined with the phrase rules, and what the
classifier trained on the repository's labelled questions makes of wordings the rules get wrong."""
from pathlib import Path

import pytest

from bot.aspect_classifier import AspectModel, combine, labelled_examples, masked, rule_labelled_examples
from bot.text import normalise
from bot.understanding import understand

ROOT = Path(__file__).resolve().parents[2]


def test_measure_names_are_masked():
    assert masked("创业担保贷款要什么材料") == "〇要什么材料"


def test_a_strong_rule_phrase_wins_over_the_classifier():
    text = "失业金网上能申请吗"
    assert combine(understand(text), {"conditions": 0.9, "online_entry": 0.1}, True, text) == (
        "online_entry", "rule_strong")


def test_a_past_situation_and_can_i_still_is_about_the_conditions():
    found = understand("以前欠过社保，现在还能办创业担保贷款吗")
    assert (found.aspect, found.aspect_evidence) == ("conditions", "strong")


def test_a_confident_classifier_overrules_an_ordinary_phrase():
    text = "培训班都开完了才想起来报，还能申请职业技能培训补贴吗"
    found = understand(text)
    assert found.aspect == "deadline" and found.aspect_evidence == "phrase"
    assert combine(found, {"conditions": 0.7, "deadline": 0.2}, True, text) == ("conditions", "classifier")
    assert combine(found, {"conditions": 0.4, "deadline": 0.3}, True, text) == ("deadline", "rule")


def test_no_aspect_is_invented_for_small_talk_or_a_bare_name():
    assert combine(understand("你好啊朋友们"), {"process": 0.9}, False, "你好啊朋友们") == (None, "none")
    assert combine(understand("稳岗返还呢"), {"materials": 0.9}, True, "稳岗返还呢") == (None, "none")
    text = "稳岗返还那个事情"
    assert combine(understand(text), {"overview": 0.9}, True, text) == (None, "none")


@pytest.fixture(scope="module")
def model():
    sets = sorted((ROOT / "tests" / "nlu").glob("heldout*.yml"))
    sets = [p for p in sets if p.name in ("heldout.yml", "heldout_b.yml", "heldout_c.yml", "heldout_d.yml",
                                          "heldout_e.yml")]
    texts = []
    import yaml
    for path in (ROOT / "data" / "nlu" / "measures").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            texts += [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    return AspectModel().fit(labelled_examples(sets) + rule_labelled_examples(texts))


@pytest.mark.parametrize("text, aspect", [
    ("以前欠过社保，现在还能办创业担保贷款吗", "conditions"),
    ("申请创业服务补贴要不要交服务台账", "materials"),
    ("失业补助金审核通过以后钱打到哪", "process"),
    ("留工补助每家企业能拿多少", "amount"),
])
def test_the_trained_classifier_with_the_rules(model, text, aspect):
    text = normalise(text)
    found = understand(text)
    assert combine(found, model.probabilities(text, found), True, text)[0] == aspect


def test_the_direct_computation_gives_scikit_learns_probabilities(model):
    """AspectModel.probabilities skips scikit-learn's per-call machinery; it must not change a number."""
    import pickle
    import yaml

    texts = [normalise(case["text"]) for case in yaml.safe_load(
        (ROOT / "tests" / "nlu" / "heldout_h.yml").read_text(encoding="utf-8"))]
    texts += ["", "？", "zzz 完全没见过的字 ©"]  # no known n-gram at all: the intercepts alone
    reloaded = pickle.loads(pickle.dumps(model))  # as the Rasa server loads it
    for text in texts:
        direct, reference = reloaded.probabilities(text), model.pipeline_probabilities(text)
        assert direct.keys() == reference.keys()
        assert all(abs(direct[k] - reference[k]) < 1e-12 for k in direct), text
