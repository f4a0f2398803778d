"""The Trainer in this process with a real RunLogger: the CUDA-style options (bf16 autocast, channels_last,
torch.compile) exercised on CPU, and AdamW's beta1 logged as the momentum."""

import io
import shutil

import numpy as np
import pytest
import torch

from lrtui.runs import RunLogger, read_run
from lrtui.schedules import planned_lrs
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


def test_compiled_model_trains_stops_and_resumes_on_cpu(tmp_path):
    # torch.compile (inductor, C++ on CPU): the checkpoint holds the plain model's weights, so a resumed
    # run (compiled again) continues with the uninterrupted LR and step sequence.
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("torch.compile on CPU needs a C compiler")
    spec = "OneCycleLR(max_lr=0.05, total_steps=8)"
    config = TrainConfig.from_dict(
        {"model": "lenet", "dataset": "synthetic", "synthetic_train_size": 128, "synthetic_test_size": 32,
         "batch_size": 32, "epochs": 2, "num_threads": 1, "compile": True, "stop_at_step": 4,
         "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
         "schedule": {"spec": spec, "stepping": "step"}}
    ).resolve()  # fmt: skip
    logger = RunLogger(config.to_dict(), runs_dir=tmp_path, source="lrtui-trainer")
    assert Trainer(config, logger, out=io.StringIO()).run() == "stopped"
    logger.close("stopped")
    state = torch.load(logger.run_dir / "checkpoint.pt", weights_only=False)
    assert not any(key.startswith("_orig_mod.") for key in state["model"])
    resumed_logger = RunLogger.open(logger.run_dir, handle_sigterm=False)
    config.stop_at_step = None
    assert Trainer(config, resumed_logger, resume=True, out=io.StringIO()).run() == "finished"
    resumed_logger.close("finished")
    data = read_run(logger.run_dir).data
    assert list(data.steps) == list(range(8))
    assert (
        list(data.lr[0])
        == planned_lrs(spec, [0.05], total_steps=8, steps_per_epoch=4, stepping="step")[0].tolist()
    )
