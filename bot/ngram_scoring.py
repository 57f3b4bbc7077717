"""Scoring one text with a TF-IDF vectoriser and a linear model, as scikit-learn computes it, without building
matrices: scikit-learn's input checks and sparse-matrix set-up cost a millisecond or two a message, most of a
small classifier's time in a turn, for a sum over the message's few dozen n-grams. Used by the aspect
classifier and the fact reader; their tests compare both ways.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np


class NgramScorer:
    """TF-IDF (sublinear tf, idf, l2 norm) then a linear layer: a softmax over the classes (multinomial
    logistic regression) or, with `independent`, one sigmoid per class (one regression per label)."""

    def __init__(self, vectorizer, coefficients: np.ndarray, intercepts: np.ndarray, classes: Sequence[str],
                 independent: bool = False):
        assert vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2"
        self.analyse = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_
        self.idf = vectorizer.idf_
        self.weights = np.ascontiguousarray(np.asarray(coefficients, dtype=float).T)  # one row of class weights per n-gram
        self.intercept = np.asarray(intercepts, dtype=float)
        self.classes = [str(c) for c in classes]
        self.independent = independent

    def probabilities(self, text: str) -> Dict[str, float]:
        counts: Dict[int, int] = {}
        for gram in self.analyse(text):
            column = self.vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        scores = self.intercept.copy()
        if counts:
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self.idf[columns]
            values /= np.sqrt(values @ values)
            scores += values @ self.weights[columns]
        if self.independent:
            scores = 1 / (1 + np.exp(-scores))
        else:
            scores = np.exp(scores - scores.max())
            scores /= scores.sum()
        return {label: float(p) for label, p in zip(self.classes, scores)}
