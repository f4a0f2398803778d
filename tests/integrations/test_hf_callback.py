"""The HF TrainerCallback with a real transformers.Trainer training a tiny locally built model on CPU."""

from __future__ import annotations

import json
import warnings

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from lrtui.doctor import doctor_run  # noqa: E402
from lrtui.integrations.hf import LrtuiTrainerCallback  # noqa: E402

SAMPLES = 64
BATCH = 8


class TinyClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(4, 2)

    def forward(self, x, labels=None):
        logits = self.net(x)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = torch.nn.functional.cross_entropy(logits, labels)
        return out


def _dataset(n=SAMPLES):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 4, generator=g)
    return [{"x": x[i], "labels": int(x[i, 0] > 0)} for i in range(n)]


def _accuracy(pred):
    return {"accuracy": float((pred.predictions.argmax(-1) == pred.label_ids).mean())}


def _train(tmp_path, **args):
    callback = LrtuiTrainerCallback(runs_dir=tmp_path / "runs", name="tiny-hf")
    targs = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        num_train_epochs=3,
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=16,
        learning_rate=0.1,
        logging_steps=1,
        save_strategy="no",
        eval_strategy="epoch",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        **args,
    )
    trainer = transformers.Trainer(
        model=TinyClassifier(),
        args=targs,
        train_dataset=_dataset(),
        eval_dataset=_dataset(16),
        compute_metrics=_accuracy,
        callbacks=[callback],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    return callback.run.run_dir


def test_cosine_with_warmup_plan_and_log(tmp_path):
    run_dir = _train(tmp_path, lr_scheduler_type="cosine", warmup_steps=3)
    config = json.loads((run_dir / "config.json").read_text())
    steps = SAMPLES // BATCH * 3
    assert (
        config["schedule"]["spec"]
        == f"get_cosine_schedule_with_warmup(num_warmup_steps=3, num_training_steps={steps})"
    )
    assert (
        config["schedule"]["steps_per_epoch"] == SAMPLES // BATCH and config["optimizer"]["name"] == "adamw"
    )
    report = doctor_run(run_dir)
    assert report.plan_source == "declared" and report.ok and report.compared == steps, report.text()
    assert report.inferred.spec == config["schedule"]["spec"]  # the log alone says the same
    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished" and status["epochs_done"] == 3 and 0 <= status["last_test_acc"] <= 1


def test_gradient_accumulation_counts_optimizer_steps(tmp_path):
    run_dir = _train(tmp_path, lr_scheduler_type="linear", warmup_steps=2, gradient_accumulation_steps=2)
    config = json.loads((run_dir / "config.json").read_text())
    steps = SAMPLES // BATCH // 2 * 3
    assert config["schedule"]["total_steps"] == steps and config["schedule"]["steps_per_epoch"] == 4
    report = doctor_run(run_dir)
    assert report.ok and report.points == steps, report.text()
    from lrtui.runs.reader import read_run

    data = read_run(run_dir).data
    assert list(data.steps) == list(range(steps))
    assert all(x == x for x in data.loss)  # the Trainer's logged loss (logging_steps=1) rides on every step
