"""Faithful ports of the seed/warmup libraries' scheduler classes, as real torch schedulers.

Used by `torch_bridge` only; torch is imported inside `define()`, never at import time. The ports copy the
libraries' code paths (warmup_scheduler 0.3's GradualWarmupScheduler, pytorch_warmup 0.2's dampening,
the seed article's WarmupCosineLR) and add plain-data state dicts so a training resume is exact.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.params import per_group


class SeedLambda:
    """The seed's `warm_up_with_cosine_lr` lambda as a picklable callable (LambdaLR saves its __dict__)."""

    def __init__(self, epochs: int, warm_up_epochs: int, eta_min: float):
        self.epochs = epochs
        self.warm_up_epochs = warm_up_epochs
        self.eta_min = eta_min

    def __call__(self, epoch):
        w, eta_min, epochs = self.warm_up_epochs, self.eta_min, self.epochs
        # as written in the seed article
        return eta_min + (epoch / w) if epoch <= w else 0.5 * (np.cos((epoch - w) / (epochs - w) * np.pi) + 1)


def define(ns) -> dict:
    """Create the port classes on `ns` and return {kind name: builder(bound, optimizer, ctx)}."""
    from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LRScheduler, ReduceLROnPlateau

    class WarmupCosineLR(LRScheduler):
        """seeds/000's class, as written (self.cur counts get_lr calls; same lr for every group)."""

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
                    lr = (
                        self.lr_min
                        + (self.lr_max - self.lr_min) * (self.cur + self.start_ratio) / self.warm_up
                    )
                else:
                    lr = self.lr_min + (self.lr_max - self.lr_min) * (self.cur) / self.warm_up
            else:
                lr = self.lr_min + (self.lr_max - self.lr_min) * 0.5 * (
                    np.cos((self.cur - self.warm_up) / (self.T_max - self.warm_up) * np.pi) + 1
                )
            self.cur += 1
            return [lr for _ in self.base_lrs]

    class GradualWarmupScheduler(LRScheduler):
        """warmup_scheduler 0.3's class, same code paths; state_dict nests the after scheduler's state."""

        def __init__(self, optimizer, multiplier, total_epoch, after_scheduler=None):
            self.multiplier = multiplier
            if self.multiplier < 1.0:
                raise ValueError("multiplier should be greater thant or equal to 1.")
            self.total_epoch = total_epoch
            self.after_scheduler = after_scheduler
            self.finished = False
            super().__init__(optimizer)

        def get_lr(self):
            if self.last_epoch > self.total_epoch:
                if self.after_scheduler:
                    if not self.finished:
                        self.after_scheduler.base_lrs = [
                            base_lr * self.multiplier for base_lr in self.base_lrs
                        ]
                        self.finished = True
                    return self.after_scheduler.get_lr()
                return [base_lr * self.multiplier for base_lr in self.base_lrs]
            if self.multiplier == 1.0:
                return [base_lr * (float(self.last_epoch) / self.total_epoch) for base_lr in self.base_lrs]
            return [
                base_lr * ((self.multiplier - 1.0) * self.last_epoch / self.total_epoch + 1.0)
                for base_lr in self.base_lrs
            ]

        def step(self, epoch=None, metrics=None):
            if type(self.after_scheduler) is not ReduceLROnPlateau:
                if self.finished and self.after_scheduler:
                    if epoch is None:
                        self.after_scheduler.step(None)
                    else:
                        self.after_scheduler.step(epoch - self.total_epoch)
                    self._last_lr = [g["lr"] for g in self.optimizer.param_groups]
                else:
                    return super().step(epoch)
            else:
                raise NotImplementedError("ReduceLROnPlateau after warmup is not supported by lrtui")

        def state_dict(self):
            state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "after_scheduler")}
            state["after_scheduler"] = (
                None if self.after_scheduler is None else self.after_scheduler.state_dict()
            )
            return state

        def load_state_dict(self, state_dict):
            state = dict(state_dict)
            after = state.pop("after_scheduler", None)
            self.__dict__.update(state)
            if after is not None and self.after_scheduler is not None:
                self.after_scheduler.load_state_dict(after)

    class DampenedWarmup:
        """pytorch_warmup's BaseWarmup + the loop's `with warmup.dampening(): scheduler.step()`, as one
        object with step(); `scheduler` is None for a warmup without an lr scheduler."""

        def __init__(self, optimizer, scheduler, warmup_periods, exponential: bool):
            self.optimizer = optimizer
            self.scheduler = scheduler
            self.warmup_params = [dict(warmup_period=int(p)) for p in warmup_periods]
            self.exponential = exponential
            self.last_step = -1
            self.lrs = [group["lr"] for group in optimizer.param_groups]
            self.dampen()

        def warmup_factor(self, step, warmup_period):
            if self.exponential:
                return 1.0 - math.exp(-(step + 1) / warmup_period)
            return min(1.0, (step + 1) / warmup_period)

        def dampen(self, step=None):
            if step is None:
                step = self.last_step + 1
            self.last_step = step
            for group, params in zip(self.optimizer.param_groups, self.warmup_params):
                omega = self.warmup_factor(step, **params)
                group["lr"] *= omega
            self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

        def step(self, epoch=None):
            for group, lr in zip(self.optimizer.param_groups, self.lrs):  # dampening() enter
                group["lr"] = lr
            if self.scheduler is not None:
                if epoch is None:
                    self.scheduler.step()
                else:
                    self.scheduler.step(epoch)
            self.lrs = [group["lr"] for group in self.optimizer.param_groups]  # dampening() exit
            self.dampen()

        def get_last_lr(self):
            return list(self._last_lr)

        def state_dict(self):
            return {
                "last_step": self.last_step,
                "lrs": list(self.lrs),
                "warmup_params": self.warmup_params,
                "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            }

        def load_state_dict(self, state):
            self.last_step = state["last_step"]
            self.lrs = list(state["lrs"])
            self.warmup_params = state["warmup_params"]
            if self.scheduler is not None and state.get("scheduler") is not None:
                self.scheduler.load_state_dict(state["scheduler"])

    ns.WarmupCosineLR = WarmupCosineLR
    ns.GradualWarmupScheduler = GradualWarmupScheduler
    ns.DampenedWarmup = DampenedWarmup

    from lrtui.schedules.torch_bridge import build_bound

    def build_warmup_cosine(bound, optimizer, ctx):
        a = bound.args
        return WarmupCosineLR(optimizer, a["lr_min"], a["lr_max"], a["warm_up"], a["T_max"], a["start_ratio"])

    def build_seed_lambda(bound, optimizer, ctx):
        a = bound.args
        if a["warm_up_epochs"] <= 0:
            return CosineAnnealingLR(optimizer, T_max=a["epochs"], eta_min=a["eta_min"])
        return LambdaLR(optimizer, lr_lambda=SeedLambda(a["epochs"], a["warm_up_epochs"], a["eta_min"]))

    def build_gradual(bound, optimizer, ctx):
        a = bound.args
        after = None if a["after_scheduler"] is None else build_bound(a["after_scheduler"], optimizer, ctx)
        return GradualWarmupScheduler(optimizer, a["multiplier"], a["total_epoch"], after_scheduler=after)

    def build_dampened(bound, optimizer, ctx):
        inner = bound.args.get("schedule")
        sched = None if inner is None else build_bound(inner, optimizer, ctx)  # the scheduler comes first
        periods = bound.kind.periods(bound.args, ctx)
        return DampenedWarmup(
            optimizer,
            sched,
            [int(p) for p in per_group(list(periods), ctx.n_groups)],
            exponential=bound.kind.exponential,
        )

    return {
        "WarmupCosineLR": build_warmup_cosine,
        "warm_up_cosine_lr_scheduler": build_seed_lambda,
        "GradualWarmupScheduler": build_gradual,
        "LinearWarmup": build_dampened,
        "ExponentialWarmup": build_dampened,
        "UntunedLinearWarmup": build_dampened,
        "UntunedExponentialWarmup": build_dampened,
    }
