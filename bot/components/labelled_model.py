"""What the two learned components share: a small model trained at `rasa train` from labelled held-out files
named in bot/config.yml (`labelled_sets`), pickled into the model storage, and loaded with the model. The
files' content (and any `FINGERPRINT_SOURCES` beside this package) is part of the training fingerprint, so a
changed label retrains the component.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.training_data.training_data import TrainingData

BOT = Path(__file__).parents[1]


class LabelledModelComponent(GraphComponent, EntityExtractorMixin):
    MODEL_FILE = "model.pkl"
    FINGERPRINT_SOURCES: tuple = ()  # files under bot/ that also shape the model

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"labelled_sets": []}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        digest = hashlib.sha256()
        for path in config.get("labelled_sets") or []:
            digest.update(Path(path).read_bytes() if Path(path).exists() else path.encode("utf-8"))
        for source in cls.FINGERPRINT_SOURCES:
            digest.update((BOT / source).read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Any] = None):
        self._config, self._storage, self._resource, self._model = config, model_storage, resource, model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LabelledModelComponent":
        return cls(config, model_storage, resource)

    def fit(self, sets: List[Path], training_data: TrainingData) -> Any:
        """The trained model, from the labelled files (and the NLU training data, where it teaches too)."""
        raise NotImplementedError

    def train(self, training_data: TrainingData) -> Resource:
        sets = [Path(p) for p in self._config.get("labelled_sets") or []]
        missing = [str(p) for p in sets if not p.exists()]
        if missing:
            raise FileNotFoundError(f"{type(self).__name__}.labelled_sets not found (paths are relative to where "
                                    f"`rasa train` runs): {', '.join(missing)}")
        self._model = self.fit(sets, training_data)
        with self._storage.write_to(self._resource) as directory:
            (Path(directory) / self.MODEL_FILE).write_bytes(pickle.dumps(self._model))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LabelledModelComponent":
        with model_storage.read_from(resource) as directory:
            model = pickle.loads((Path(directory) / cls.MODEL_FILE).read_bytes())
        return cls(config, model_storage, resource, model)
