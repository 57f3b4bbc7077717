"""Loading DIET's weights without Rasa's one-step training: the same weights, the same predictions,
in a fraction of the start-up time; and each prediction through the traced graph's concrete function
(`predict`), without the per-call signature checks.

`RasaModel.load` builds an empty model, *trains it on one example* (`model.fit`) only so that every
variable exists, then overwrites them all with the saved weights and runs one prediction. Tracing and
running that training step (the graph of the loss, the gradients and the Adam optimiser) was about
half of the Rasa server's start-up (py-spy: 59% of the start in DIETClassifier.load, 47% in `fit`).
The weights are a TensorFlow checkpoint (`save_format="tf"`), which restores each variable when it is
created; so here the saved weights are attached first and the one prediction Rasa runs anyway creates
the variables, and they receive their saved values as they are created. Variables that only training
has (the optimiser's) are never created and never needed for predictions.
Fine-tuning (`rasa train --finetune`) and a model without a prediction example keep Rasa's way.
`scripts/check_model_loading.py` loads the model both ways and compares the predictions and weights.

`install()` is called by the Rasa server entry point (bot/server.py) before the model loads.
"""
from __future__ import annotations

import logging
from typing import Any, Optional, Text

import tensorflow as tf
from keras.utils import tf_utils
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel
from rasa.utils.tensorflow.model_data import RasaModelData

logger = logging.getLogger(__name__)

_rasa_load = RasaModel.load.__func__


def load(cls: type, model_file_name: Text, model_data_example: RasaModelData,
         predict_data_example: Optional[RasaModelData] = None, finetune_mode: bool = False,
         *args: Any, **kwargs: Any) -> RasaModel:
    """Drop-in for RasaModel.load when predicting: weights restored as the prediction creates them."""
    if finetune_mode or predict_data_example is None:
        return _rasa_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                          *args, **kwargs)
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY

    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                  run_eagerly=config.get(RUN_EAGERLY))
    # Only the variables a prediction uses are created, so the optimiser's and the training-only
    # ones stay in the checkpoint: expected, hence expect_partial().
    status = model.load_weights(model_file_name)
    status.expect_partial()
    model.run_inference(predict_data_example)
    status.assert_existing_objects_matched()  # every variable the prediction created got its saved value
    logger.debug("Loaded %s from %s without the training step", cls.__name__, model_file_name)
    return model


_rasa_predict = RasaModel._rasa_predict


def predict(self: RasaModel, batch_in: Any) -> Any:
    """Drop-in for RasaModel._rasa_predict: the same traced graph, called as its one concrete function.

    Rasa traces the prediction step once, with an input signature, so it has exactly one concrete
    function; but calling the tf.function object re-checks every input against the signature and
    looks the concrete function up again on each call: about half of DIET's time per message under load.
    """
    concrete = getattr(self, "_policybot_concrete_predict", None)
    if concrete is None:
        if self._run_eagerly or self._tf_predict_step is None:  # not traced yet: Rasa traces it now
            return _rasa_predict(self, batch_in)
        concrete = self._policybot_concrete_predict = self._tf_predict_step.get_concrete_function()
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete(batch_in))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def install() -> None:
    RasaModel.load = classmethod(load)
    RasaModel._rasa_predict = predict


def uninstall() -> None:
    RasaModel.load = classmethod(_rasa_load)
    RasaModel._rasa_predict = _rasa_predict


__all__ = ["install", "load", "uninstall"]
