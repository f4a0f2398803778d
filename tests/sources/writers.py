"""Real log writers for the sources tests: run as `python writers.py KIND OUT_DIR` (one process per kind,
so the fixtures start them all at once and the imports overlap).

  tensorboard   torch.utils.tensorboard.SummaryWriter: scalars (incl. NaN/inf), add_scalars, text,
                histogram, hparams, new_style and double-precision tensor scalars
  tbtensor      tensorboard's own writer (tensorboard.summary.Writer): tensor-stored scalars
  lightning     a tiny lightning.Trainer fit on CPU with CSVLogger + TensorBoardLogger and a
                LearningRateMonitor (lr-SGD per step, two param groups)
  hf            a tiny transformers.Trainer run (GPT-2 config built locally, no downloads) with
                checkpoints, evaluation and its TensorBoard callback
Each writes OUT_DIR/done when finished.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path


def tensorboard(out: Path) -> None:
    import numpy as np
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(out / "tb" / "run_a"))
    for step in range(300):
        w.add_scalar("train/loss", 2.0 / (1 + step / 50), step)
        w.add_scalar("train/lr", 0.1 * 0.5 * (1 + math.cos(math.pi * step / 300)), step)
        if step % 50 == 49:
            w.add_scalar("eval/accuracy", step / 300, step)
    w.add_scalar("weird/nan", float("nan"), 300)
    w.add_scalar("weird/inf", float("inf"), 301)
    w.add_scalar("weird/neg_inf", float("-inf"), 302)
    w.add_scalar("tensor/float", 1.5, 303, new_style=True)
    w.add_scalar("tensor/double", np.float64(2.25), 304, new_style=True, double_precision=True)
    w.add_scalars("group", {"a": 1.0, "b": 2.0}, 5)
    w.add_text("notes", "hello \x1b[31mred\x1b[0m", 0)
    w.add_histogram("weights", np.arange(10.0), 0)
    w.add_hparams({"lr": 0.1, "batch_size": 32, "optimizer": "sgd"}, {"hparam/accuracy": 0.9})
    w.close()


def tbtensor(out: Path) -> None:
    import tensorboard.summary as tbs

    w = tbs.Writer(str(out / "tbt" / "run_t"))
    for step in range(50):
        w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("learning_rate", 1e-3, step)
    w.close()


def lightning(out: Path) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    torch.manual_seed(0)

    class Tiny(L.LightningModule):
        def __init__(self, lr: float = 0.05):
            super().__init__()
            self.save_hyperparameters()
            self.body = torch.nn.Linear(8, 16)
            self.head = torch.nn.Linear(16, 2)

        def forward(self, x):
            return self.head(torch.relu(self.body(x)))

        def training_step(self, batch, _i):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _i):
            x, y = batch
            acc = (self(x).argmax(1) == y).float().mean()
            self.log("val_acc", acc)
            self.log("val_loss", torch.nn.functional.cross_entropy(self(x), y))

        def configure_optimizers(self):
            opt = torch.optim.SGD(
                [{"params": self.body.parameters()}, {"params": self.head.parameters(), "lr": 0.01}],
                lr=self.hparams.lr,
                momentum=0.9,
            )
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    x = torch.randn(64, 8)
    y = (x[:, 0] > 0).long()
    data = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer = L.Trainer(
        max_epochs=3,
        accelerator="cpu",
        devices=1,
        logger=[CSVLogger(str(out / "pl")), TensorBoardLogger(str(out / "pl_tb"))],
        callbacks=[LearningRateMonitor(logging_interval="step")],
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    trainer.fit(Tiny(), loader, loader)


def hf(out: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    torch.manual_seed(0)
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(out / "hf_out" / "runs" / "tb")
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=64, n_positions=16, n_embd=16, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0
        )
    )

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            ids = torch.tensor([(i + k) % 64 for k in range(8)])
            return {"input_ids": ids, "labels": ids}

    args = TrainingArguments(
        output_dir=str(out / "hf_out"),
        max_steps=24,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        warmup_steps=4,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=8,
        save_steps=12,
        report_to=["tensorboard"],
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=Data(), eval_dataset=Data())
    trainer.train()
    trainer.save_state()


KINDS = {"tensorboard": tensorboard, "tbtensor": tbtensor, "lightning": lightning, "hf": hf}

if __name__ == "__main__":
    kind, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    KINDS[kind](out_dir)
    (out_dir / f"done-{kind}").write_text("ok")
