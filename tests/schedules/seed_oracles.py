"""The seed article's schedulers (seeds/000), copied from its text, as test oracles stepped with real torch.

Only whitespace was restored (the article's code lost its line breaks); expressions are as written.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.optim import lr_scheduler


def warm_up_cosine_lr_scheduler(optimizer, epochs=100, warm_up_epochs=5, eta_min=1e-9):
    if warm_up_epochs <= 0:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=eta_min)
    else:
        warm_up_with_cosine_lr = lambda epoch: (  # noqa: E731 (as written in the article)
            eta_min + (epoch / warm_up_epochs)
            if epoch <= warm_up_epochs
            else 0.5 * (np.cos((epoch - warm_up_epochs) / (epochs - warm_up_epochs) * np.pi) + 1)
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=warm_up_with_cosine_lr)
    return scheduler


class WarmupCosineLR(lr_scheduler._LRScheduler):
    def __init__(self, optimizer, lr_min, lr_max, warm_up=0, T_max=10, start_ratio=0.1):
        self.lr_min = lr_min
        self.lr_max = lr_max
        self.warm_up = warm_up
        self.T_max = T_max
        self.start_ratio = start_ratio
        self.cur = 0  # current epoch or iteration
        super().__init__(optimizer, -1)

    def get_lr(self):
        if (self.warm_up == 0) & (self.cur == 0):
            lr = self.lr_max
        elif (self.warm_up != 0) & (self.cur <= self.warm_up):
            if self.cur == 0:
                lr = self.lr_min + (self.lr_max - self.lr_min) * (self.cur + self.start_ratio) / self.warm_up
            else:
                lr = self.lr_min + (self.lr_max - self.lr_min) * (self.cur) / self.warm_up
            # print(f'{self.cur} -> {lr}')
        else:  # this works fine
            lr = self.lr_min + (self.lr_max - self.lr_min) * 0.5 * (
                np.cos((self.cur - self.warm_up) / (self.T_max - self.warm_up) * np.pi) + 1
            )
        self.cur += 1
        return [lr for base_lr in self.base_lrs]
