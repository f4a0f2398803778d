"""Fit the tiny module on 2 CPU processes (DDP, gloo) with the lrtui callback: run by a test in a subprocess."""

import sys
import warnings

import lightning.pytorch as pl
import torch

from lrtui.integrations.lightning import LrtuiCallback


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 2)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=16)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def main(runs_dir: str) -> None:
    warnings.simplefilter("ignore")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 4, generator=g)
    data = torch.utils.data.TensorDataset(x, (x[:, 0] > 0).long())
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        devices=2,
        strategy="ddp_spawn",
        callbacks=[LrtuiCallback(runs_dir=runs_dir)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=8))


if __name__ == "__main__":
    main(sys.argv[1])
