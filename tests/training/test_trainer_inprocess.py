"""The Trainer in this process with a real RunLogger: the CUDA-style options (bf16 autocast, channels_last)
exercised on CPU, and AdamW's beta1 logged as the momentum."""

import io

import numpy as np

from lrtui.runs import RunLogger, read_run
from lrtui.training.config import TrainConfig
from lrtui.training.loop import Trainer


def test_bf16_autocast_and_channels_last_on_cpu(tmp_path):
    config = TrainConfig.from_dict(
        {"model": "lenet", "dataset": "synthetic", "synthetic_train_size": 128, "synthetic_test_size": 32,
         "batch_size": 32, "epochs": 1, "num_threads": 1, "amp": "bf16", "channels_last": True,
         "optimizer": {"name": "adamw", "lr": 1e-3, "betas": [0.85, 0.99], "weight_decay": 0.01}}
    ).resolve()  # fmt: skip
    logger = RunLogger(config.to_dict(), runs_dir=tmp_path, source="lrtui-trainer")
    trainer = Trainer(config, logger, out=io.StringIO())
    assert trainer.run() == "finished"
    assert trainer.amp and trainer.channels_last
    data = read_run(logger.run_dir).data
    assert list(data.steps) == [0, 1, 2, 3] and np.isfinite(np.asarray(data.loss)).all()
    assert list(data.lr[0]) == [1e-3] * 4 and list(data.momentum[0]) == [0.85] * 4
    plan = next(e for e in data.events if e["event"] == "plan")
    assert plan["amp"] == "bf16" and plan["channels_last"] is True
