"""Write the foreign-format runs the snapshot tests and screenshots read: tests/monitor/fixtures/foreign/.

    .venv/bin/python tests/monitor/make_foreign_fixture.py

Written by the real writers with fixed values and wall times, so the pictures drawn from them are stable:
  tb/hf-bert-glue/       torch.utils.tensorboard.SummaryWriter with HF Trainer's tag names (train/..., eval/...)
  lightning_logs/version_0/   lightning's CSVLogger (lr-AdamW/pg1 and pg2, train_loss_step, val_acc, ...)
  hf_out/trainer_state.json   transformers' TrainerState.save_to_json, as the Trainer writes it
  train.log                   a console log with colours and a progress bar
Tests copy the tree and set every file's mtime to T0 (tests/monitor/make_fixture.py), so states and ages
against the fixed clock are the same on every machine.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FOREIGN = HERE / "fixtures" / "foreign"
T0 = 1_763_719_200.0
STEPS = 1000


def lr_at(step: int, peak: float = 5e-5, warmup: int = 100) -> float:
    if step < warmup:
        return peak * step / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (STEPS - warmup)))


def main() -> None:
    from lightning.pytorch.loggers import CSVLogger
    from torch.utils.tensorboard import SummaryWriter
    from transformers.trainer_callback import TrainerState

    shutil.rmtree(FOREIGN, ignore_errors=True)
    FOREIGN.mkdir(parents=True)
    rng = np.random.default_rng(13)
    loss = 2.5 * np.exp(-np.arange(STEPS) / 300) + 0.35 + rng.normal(0, 0.06, STEPS)

    w = SummaryWriter(str(FOREIGN / "tb" / "hf-bert-glue"), filename_suffix=".fixture")
    for s in range(0, STEPS, 5):
        t = T0 + s
        w.add_scalar("train/loss", float(loss[s]), s, walltime=t)
        w.add_scalar("train/learning_rate", lr_at(s), s, walltime=t)
        w.add_scalar("train/grad_norm", float(1.5 + 0.5 * np.sin(s / 40) + rng.normal(0, 0.1)), s, walltime=t)
        w.add_scalar("train/epoch", s / 250, s, walltime=t)
        if s % 100 == 95:
            w.add_scalar("eval/loss", float(loss[s] + 0.1), s, walltime=t)
            w.add_scalar("eval/accuracy", float(0.5 + 0.4 * (1 - math.exp(-s / 300))), s, walltime=t)
            w.add_scalar("eval/f1", float(0.45 + 0.42 * (1 - math.exp(-s / 280))), s, walltime=t)
            w.add_scalar("eval/runtime", 12.5 + 0.1 * (s % 7), s, walltime=t)
        w.add_scalar("train/tokens_per_second", float(5200 + rng.normal(0, 80)), s, walltime=t)
        w.add_scalar("system/gpu_mem_gb", 11.2 + 0.001 * s, s, walltime=t)
    w.close()

    logger = CSVLogger(str(FOREIGN), name="lightning_logs", version=0)
    logger.log_hyperparams({"lr": 3e-4, "batch_size": 64, "model": "resnet18"})
    for s in range(300):
        logger.log_metrics(
            {"lr-AdamW/pg1": 3e-4 * 0.5 ** (s // 100), "lr-AdamW/pg2": 3e-5 * 0.5 ** (s // 100)}, s
        )
        logger.log_metrics({"train_loss_step": float(loss[3 * s]), "epoch": s // 100}, s)
        if s % 100 == 99:
            e = s // 100
            logger.log_metrics({"val_acc": 0.6 + 0.1 * e, "val_loss": 1.0 - 0.2 * e, "epoch": e}, s)
    logger.save()

    state = TrainerState(global_step=1000, max_steps=1000, num_train_epochs=4, logging_steps=10)
    for s in range(10, STEPS + 1, 10):
        state.log_history.append(
            {
                "step": s,
                "epoch": s / 250,
                "loss": float(loss[s - 1]),
                "learning_rate": lr_at(s),
                "grad_norm": 1.3,
            }
        )
        if s % 250 == 0:
            state.log_history.append(
                {
                    "step": s,
                    "epoch": s / 250,
                    "eval_loss": float(loss[s - 1] + 0.1),
                    "eval_accuracy": 0.6 + s / 5000,
                }
            )
    (FOREIGN / "hf_out").mkdir()
    state.save_to_json(str(FOREIGN / "hf_out" / "trainer_state.json"))

    lines = []
    for s in range(0, STEPS, 50):
        lines.append(f"\x1b[36m[step {s}]\x1b[0m loss={loss[s]:.4f} lr={lr_at(s):.3e}")
        if s == 500:
            lines.append("\x1b[33mWARNING\x1b[0m gradient overflow, skipping step")
    lines.append(" 99%|█████████▉| 990/1000 [01:40<00:01]\r100%|██████████| 1000/1000 [01:41<00:00]")
    (FOREIGN / "train.log").write_text("\n".join(lines) + "\n")
    print(f"wrote {FOREIGN}")


if __name__ == "__main__":
    main()
