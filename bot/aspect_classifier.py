"""The aspect a question asks (conditions, amount, process …), learned rather than only matched.

The phrase rules in bot/vocabulary.yml are precise where they fire but brittle on new wording: "以前欠过社保，
现在还能办创业担保贷款吗" hits the deadline phrase 还能办, "要不要交服务台账" hits nothing. A small linear
classifier over character n-grams (the measure and topic names masked, so it learns how people ask, not
what they ask about) is combined with the rules:

  1. a `strong` rule phrase is certain and wins ("网上能申请吗" is about the online entry);
  2. otherwise the classifier wins when it is confident (CONFIDENT);
  3. otherwise an ordinary rule phrase or pattern;
  4. otherwise the classifier's guess when it is at least GUESS sure and not "overview" — and only for a
     message the intent classifier takes as a policy question, so small talk gains no aspect.

Labels come from data already in the repository, never copied by hand: the questions of the older
held-out sets (tests/nlu/heldout.yml, _b … _g: people's wording with an aspect label each, already scored
and used for error analysis; never set H, kept for the final score), and the training examples of every measure intent labelled by the rules
themselves (weighted down: they teach the vocabulary, the held-out questions teach the judgement).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from bot.ngram_scoring import NgramScorer
from bot.text import normalise
from bot.understanding import Understanding, understand
from policies_kb.schema import ASPECTS

PLACEHOLDER = "〇"        # stands for any measure or topic name
RULE_LABEL_WEIGHT = 0.3   # weight of a training example labelled by the rules (a held-out label weighs 1)
CONFIDENT = 0.5           # the classifier overrules an ordinary rule phrase from this probability
GUESS = 0.35              # ... and supplies an aspect the rules did not find from this one
MIN_QUESTION_CHARS = 3    # "〇" or "〇呢" alone asks nothing: no guess


def masked(text: str, found: Optional[Understanding] = None) -> str:
    """The message with every measure and topic name replaced by one placeholder character."""
    found = found or understand(text)
    chars: List[Optional[str]] = list(text)
    for mention in found.mentions:
        if mention.label in ("measure", "topic"):
            for index in range(mention.start, min(mention.end, len(chars))):
                chars[index] = None
            chars[mention.start] = PLACEHOLDER
    return "".join(c for c in chars if c is not None)


def rule_aspect(found: Understanding) -> Optional[str]:
    """What the rules alone say, as the router reads it (a first-person 'can I' question is conditions)."""
    if found.self_check and found.aspect in (None, "conditions"):
        return "conditions"
    return found.aspect


@dataclass
class Example:
    text: str
    aspect: str
    weight: float


def labelled_examples(paths: Iterable[Path]) -> List[Example]:
    """Questions about one measure, with their aspect label, from held-out files (YAML lists of cases)."""
    examples = []
    for path in paths:
        for case in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            if case.get("measure") and case.get("aspect") in ASPECTS:
                examples.append(Example(normalise(case["text"]), case["aspect"], 1.0))
    return examples


def rule_labelled_examples(texts: Iterable[str]) -> List[Example]:
    """Training examples of the measure intents, labelled by the rules (no aspect phrase = overview)."""
    examples = []
    for text in texts:
        text = normalise(text)
        examples.append(Example(text, rule_aspect(understand(text)) or "overview", RULE_LABEL_WEIGHT))
    return examples


class AspectModel:
    """TF-IDF over character 1-3-grams of the masked text, multinomial logistic regression."""

    def __init__(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                                      LogisticRegression(C=10, max_iter=2000))

    def fit(self, examples: Sequence[Example]) -> "AspectModel":
        if len({e.aspect for e in examples}) < 2:
            raise ValueError("the aspect classifier needs examples of at least two aspects")
        self.pipeline.fit([masked(e.text) for e in examples], [e.aspect for e in examples],
                          logisticregression__sample_weight=[e.weight for e in examples])
        return self

    def probabilities(self, text: str, found: Optional[Understanding] = None) -> Dict[str, float]:
        """The pipeline's predict_proba for one message, computed directly (bot/ngram_scoring.py; tests
        compare both on the held-out questions)."""
        if self._scorer is None:
            vectorizer, regression = self.pipeline.steps[0][1], self.pipeline.steps[-1][1]
            assert len(regression.classes_) > 2  # multinomial softmax (a binary model uses a sigmoid)
            self._scorer = NgramScorer(vectorizer, regression.coef_, regression.intercept_, regression.classes_)
        return self._scorer.probabilities(masked(text, found))

    def pipeline_probabilities(self, text: str, found: Optional[Understanding] = None) -> Dict[str, float]:
        """The same probabilities through scikit-learn (the reference for the direct computation)."""
        scores = self.pipeline.predict_proba([masked(text, found)])[0]
        return {aspect: float(p) for aspect, p in zip(self.pipeline.classes_, scores)}

    _scorer: Optional[NgramScorer] = None  # built on first use, after unpickling; never pickled

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_scorer"}


def combine(found: Understanding, probabilities: Dict[str, float], policy_question: bool,
            text: str) -> Tuple[Optional[str], str]:
    """(aspect, how it was decided) from the rules' finding and the classifier's probabilities."""
    rules = rule_aspect(found)
    if found.aspect_evidence == "strong":
        return rules, "rule_strong"
    best, p = max(probabilities.items(), key=lambda item: item[1]) if probabilities else (None, 0.0)
    question = len(masked(text, found).strip(" ？?。.!！呢吗")) >= MIN_QUESTION_CHARS
    if best and p >= CONFIDENT and question and (rules is not None or policy_question):
        # A confident "overview" with no rule phrase is no aspect at all: the router then keeps the
        # conversation's aspect for "那扩岗补助呢" and answers the overview otherwise.
        return (None, "none") if best == "overview" and rules is None else (best, "classifier")
    if rules is not None:
        return rules, "rule"
    if best and best != "overview" and p >= GUESS and question and policy_question:
        return best, "classifier_guess"
    return None, "none"
