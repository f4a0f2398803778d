"""The Lightning callback with the real Lightning training a tiny model on CPU: the run directory it writes
carries the plan Lightning really steps, and the doctor finds the LR matching it (or the mistake)."""

from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")

from lrtui.doctor import doctor_run  # noqa: E402
from lrtui.integrations.lightning import LrtuiCallback  # noqa: E402

BATCHES = 8  # per epoch
EPOCHS = 3


class Tiny(pl.LightningModule):
    def __init__(self, scheduler=None, lr=0.1):
        super().__init__()
        self.net = torch.nn.Linear(4, 2)
        self.make_scheduler = scheduler
        self.lr = lr

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)
        if self.make_scheduler is None:
            return opt
        scheduler, config = self.make_scheduler(opt)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": scheduler, **config}}


def _loader(n=BATCHES * 8):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)


def _fit(tmp_path, make_scheduler, **trainer_kw):
    callback = LrtuiCallback(runs_dir=tmp_path, name="tiny")
    trainer = pl.Trainer(
        max_epochs=EPOCHS,
        accelerator="cpu",
        devices=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **trainer_kw,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Tiny(make_scheduler), _loader(), _loader(16))
    return callback.run.run_dir


def _config(run_dir):
    return json.loads((run_dir / "config.json").read_text())


def test_step_interval_onecycle(tmp_path):
    total = BATCHES * EPOCHS
    run_dir = _fit(
        tmp_path,
        lambda o: (torch.optim.lr_scheduler.OneCycleLR(o, 0.5, total_steps=total), {"interval": "step"}),
    )
    schedule = _config(run_dir)["schedule"]
    assert schedule["spec"] == f"OneCycleLR(max_lr=0.5, total_steps={total})"
    assert (schedule["stepping"], schedule["interval"], schedule["total_steps"]) == ("step", "step", total)
    report = doctor_run(run_dir)
    assert report.plan_source == "declared" and report.ok and report.compared == total, report.text()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished" and status["epochs_done"] == EPOCHS
    assert 0 <= status["last_test_acc"] <= 1  # val_acc recorded as test_acc


def test_epoch_interval_with_frequency(tmp_path):
    run_dir = _fit(
        tmp_path,
        lambda o: (
            torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5),
            {"interval": "epoch", "frequency": 2},
        ),
    )
    schedule = _config(run_dir)["schedule"]
    assert (schedule["stepping"], schedule["steps_per_epoch"]) == ("epoch", 2 * BATCHES)
    report = doctor_run(run_dir)
    assert report.ok and report.compared == BATCHES * EPOCHS, report.text()


@pytest.mark.parametrize(
    "accumulate, frequency, stepping, hold, exact",
    [(2, 2, "step", 4, True), (2, 4, "epoch", 2, True), (1, 3, "epoch", 3, False)],
)
def test_step_interval_frequency_and_gradient_accumulation(
    tmp_path, accumulate, frequency, stepping, hold, exact
):
    """Lightning counts `frequency` in batches and resets it every epoch: every lcm(accumulate, frequency)
    batches one scheduler step. Where that does not divide the epoch (8 batches, every 3) the plan is not
    claimed exact: the doctor infers it from the log instead."""
    run_dir = _fit(
        tmp_path,
        lambda o: (
            torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
            {"interval": "step", "frequency": frequency},
        ),
        accumulate_grad_batches=accumulate,
    )
    schedule = _config(run_dir)["schedule"]
    assert (schedule["stepping"], schedule["steps_per_epoch"]) == (stepping, hold)
    report = doctor_run(run_dir)
    steps = BATCHES * EPOCHS // accumulate
    if exact:
        assert schedule["exact"] and report.ok and report.compared == steps, report.text()
    else:
        assert not schedule["exact"] and "does not divide the epoch" in schedule["reason"]
        assert report.plan_source in ("inferred", "") and report.points == steps


def test_epoch_interval_for_a_schedule_sized_in_steps_is_flagged(tmp_path):
    """A cosine sized for the run's optimizer steps but stepped per epoch by Lightning's default interval:
    the plan recorded is what Lightning does, and the doctor's lints say the schedule never finishes."""
    run_dir = _fit(
        tmp_path, lambda o: (torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=BATCHES * EPOCHS), {})
    )
    report = doctor_run(run_dir)
    assert _config(run_dir)["schedule"]["stepping"] == "epoch"
    assert report.ok  # the LR is what the plan (as Lightning steps it) says
    assert any(f.kind == "plan:cosine_cut_short" and "T_max=3" in f.fix for f in report.findings), (
        report.text()
    )


def test_no_scheduler_is_a_constant_plan(tmp_path):
    run_dir = _fit(tmp_path, None)
    report = doctor_run(run_dir)
    assert _config(run_dir)["schedule"]["spec"] == "" and report.ok and report.compared == BATCHES * EPOCHS


@pytest.mark.slow
def test_only_the_global_zero_rank_writes_under_ddp(tmp_path):
    """Two real DDP processes (gloo on CPU): one run directory, every optimizer step once, plan matched."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("ddp_fit.py")
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    runs = [d for d in tmp_path.iterdir() if d.is_dir()]
    assert len(runs) == 1
    report = doctor_run(runs[0])
    # 128 samples / 2 ranks / batch 8 = 8 optimizer steps per epoch, 2 epochs
    assert report.ok and report.compared == 16 and report.points == 16, report.text()
