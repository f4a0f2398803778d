"""Source of the helpers `lrtui export --to torch` writes into a script for schedules torch has no class for.

This file is read as TEXT by `lrtui.schedules.export` (each definition is copied by name into the exported
script, with the imports it needs); lrtui never imports it (it imports torch). The definitions port the
libraries' own code so that the script needs nothing but torch:

- transformers' schedules are `LambdaLR`s: their lr_lambda functions (transformers.optimization, 4.x/5.x),
  bound with functools.partial exactly as transformers does.
- timm's schedulers become torch `LRScheduler`s stepped like any other (`scheduler.step()` per step or per
  epoch): timm's `_get_lr(t)`, warmup and noise, with t (timm's epoch or update count) derived from the step
  count. The plateau scheduler wraps torch's ReduceLROnPlateau as timm does.

The seed articles' classes and pytorch_warmup / warmup_scheduler ports are taken from
`lrtui.schedules.torch_ports` (the same code the trainer runs).
"""

import bisect
import math

import torch
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

# -- transformers: lr = initial lr × lr_lambda(step) ----------------------------------------------------


def constant_schedule_with_warmup_lambda(current_step, *, num_warmup_steps):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1.0, num_warmup_steps))
    return 1.0


def linear_schedule_with_warmup_lambda(current_step, *, num_warmup_steps, num_training_steps):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    return max(
        0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps))
    )


def cosine_schedule_with_warmup_lambda(
    current_step, *, num_warmup_steps, num_training_steps, num_cycles, min_lr_rate=0.0
):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def cosine_with_hard_restarts_schedule_with_warmup_lambda(
    current_step, *, num_warmup_steps, num_training_steps, num_cycles
):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def polynomial_decay_schedule_with_warmup_lambda(
    current_step, *, num_warmup_steps, num_training_steps, lr_end, power, lr_init
):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    elif current_step > num_training_steps:
        return lr_end / lr_init  # as LambdaLR multiplies by lr_init
    else:
        lr_range = lr_init - lr_end
        decay_steps = num_training_steps - num_warmup_steps
        pct_remaining = 1 - (current_step - num_warmup_steps) / decay_steps
        decay = lr_range * pct_remaining**power + lr_end
        return decay / lr_init


def inverse_sqrt_schedule_lambda(current_step, *, num_warmup_steps, timescale):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    shift = timescale - num_warmup_steps
    decay = 1.0 / math.sqrt((current_step + shift) / timescale)
    return decay


def cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda(
    current_step, *, num_warmup_steps, num_training_steps, num_cycles, min_lr_rate=0.0, warmup_lr_rate=None
):
    current_step = float(current_step)
    num_warmup_steps = float(num_warmup_steps)
    num_training_steps = float(num_training_steps)
    if current_step < num_warmup_steps:
        if warmup_lr_rate is None:
            return (current_step + 1.0) / max(1.0, num_warmup_steps)
        warmup_lr_rate = float(warmup_lr_rate)
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * (current_step) / (max(1, num_warmup_steps - 1))
    progress = (current_step - num_warmup_steps + 1.0) / (max(1.0, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def wsd_schedule_lambda(
    current_step,
    *,
    num_warmup_steps,
    num_stable_steps,
    num_decay_steps,
    warmup_type,
    decay_type,
    min_lr_ratio,
    num_cycles,
):
    if current_step < num_warmup_steps:
        progress = float(current_step) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    if current_step < num_warmup_steps + num_stable_steps:
        return 1.0
    if current_step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(current_step - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


# -- timm: its schedulers as torch LRSchedulers -----------------------------------------------------------


def timm_noise_applies(noise_range_t, t):
    """timm's _is_apply_noise: t in [a, b) for a list of two, t ≥ n for one integer (or a list of one)."""
    if noise_range_t is None:
        return False
    if isinstance(noise_range_t, (list, tuple)):
        if len(noise_range_t) == 1:
            return t >= noise_range_t[0]
        return noise_range_t[0] <= t < noise_range_t[1]
    return t >= noise_range_t


def timm_noise(t, noise_type, noise_pct, noise_std, noise_seed):
    """timm's _calculate_noise: a fresh generator seeded noise_seed + t."""
    g = torch.Generator()
    g.manual_seed(noise_seed + t)
    if noise_type == "normal":
        while True:
            noise = torch.randn(1, generator=g).item() * noise_std
            if abs(noise) < noise_pct:
                return noise
    return 2 * (torch.rand(1, generator=g).item() - 0.5) * noise_pct


class TimmLR(LRScheduler):
    """What every timm scheduler shares (timm.scheduler.Scheduler): a warmup from warmup_lr_init, noise, and
    an lr that is a function of t alone. Stepped like a torch scheduler: t is timm's epoch (t_in_epochs=True,
    t = steps // steps_per_t) or update count (t = steps × t_per_step)."""

    def __init__(
        self,
        optimizer,
        *,
        warmup_t=0,
        warmup_lr_init=0.0,
        warmup_prefix=False,
        t_in_epochs=True,
        noise_range_t=None,
        noise_type="normal",
        noise_pct=0.67,
        noise_std=1.0,
        noise_seed=42,
        steps_per_t=1,
        t_per_step=1,
    ):
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = warmup_prefix
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self.noise_type = noise_type
        self.noise_pct = noise_pct
        self.noise_std = noise_std
        self.noise_seed = noise_seed
        self.steps_per_t = steps_per_t
        self.t_per_step = t_per_step
        self.base_values = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
        if self.warmup_t:
            self.warmup_steps = [(v - warmup_lr_init) / self.warmup_t for v in self.warmup_targets()]
        super().__init__(optimizer)

    def warmup_targets(self):
        return self.base_values

    def t_of(self, steps):
        if self.t_in_epochs:
            return int(steps // self.steps_per_t)
        return round(steps * self.t_per_step)

    def decay(self, t):
        """timm's _get_lr(t) after its warmup branch (t already shifted by a warmup prefix)."""
        raise NotImplementedError

    def _get_lr(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        if self.warmup_prefix:
            t = t - self.warmup_t
        return self.decay(t)

    def get_lr(self):
        t = self.t_of(self.last_epoch)
        if t == 0:  # timm's constructor sets these; it never computes t = 0
            return [self.warmup_lr_init if self.warmup_t else v for v in self.base_values]
        lrs = self._get_lr(t)
        if timm_noise_applies(self.noise_range_t, t):
            noise = timm_noise(t, self.noise_type, self.noise_pct, self.noise_std, self.noise_seed)
            lrs = [v + v * noise for v in lrs]
        return lrs


class TimmCycleLR(TimmLR):
    """timm's restarts: cycles of t_initial (× cycle_mul each), peaks × cycle_decay, lr_min after cycle_limit."""

    def __init__(
        self, optimizer, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, **kwargs
    ):
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.cycle_mul = cycle_mul
        self.cycle_decay = cycle_decay
        self.cycle_limit = cycle_limit
        super().__init__(optimizer, **kwargs)

    def decay(self, t):
        if self.cycle_mul != 1:
            i = math.floor(math.log(1 - t / self.t_initial * (1 - self.cycle_mul), self.cycle_mul))
            t_i = self.cycle_mul**i * self.t_initial
            t_curr = t - (1 - self.cycle_mul**i) / (1 - self.cycle_mul) * self.t_initial
        else:
            i = t // self.t_initial
            t_i = self.t_initial
            t_curr = t - (self.t_initial * i)
        if i >= self.cycle_limit:
            return [self.lr_min for _ in self.base_values]
        gamma = self.cycle_decay**i
        return [self.shape(v * gamma, t_curr, t_i) for v in self.base_values]

    def shape(self, lr_max, t_curr, t_i):
        raise NotImplementedError


class TimmCosineLR(TimmCycleLR):
    """timm.scheduler.CosineLRScheduler."""

    def __init__(self, optimizer, t_initial, *, k_decay=1.0, **kwargs):
        self.k_decay = k_decay
        super().__init__(optimizer, t_initial, **kwargs)

    def shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))


class TimmPolyLR(TimmCycleLR):
    """timm.scheduler.PolyLRScheduler."""

    def __init__(self, optimizer, t_initial, *, power=0.5, k_decay=1.0, **kwargs):
        self.power = power
        self.k_decay = k_decay
        super().__init__(optimizer, t_initial, **kwargs)

    def shape(self, lr_max, t_curr, t_i):
        k = self.k_decay
        return self.lr_min + (lr_max - self.lr_min) * (1 - t_curr**k / t_i**k) ** self.power


class TimmTanhLR(TimmCycleLR):
    """timm.scheduler.TanhLRScheduler."""

    def __init__(self, optimizer, t_initial, *, lb=-7.0, ub=3.0, **kwargs):
        self.lb = lb
        self.ub = ub
        super().__init__(optimizer, t_initial, **kwargs)

    def warmup_targets(self):
        # timm warms up towards _get_lr(warmup_t) when the warmup overlaps the decay
        return self.base_values if self.warmup_prefix else self.decay(self.warmup_t)

    def shape(self, lr_max, t_curr, t_i):
        tr = t_curr / t_i
        return self.lr_min + 0.5 * (lr_max - self.lr_min) * (
            1 - math.tanh(self.lb * (1.0 - tr) + self.ub * tr)
        )


class TimmStepLR(TimmLR):
    """timm.scheduler.StepLRScheduler."""

    def __init__(self, optimizer, decay_t, decay_rate=1.0, *, warmup_prefix=True, **kwargs):
        self.decay_t = decay_t
        self.decay_rate = decay_rate
        super().__init__(optimizer, warmup_prefix=warmup_prefix, **kwargs)

    def decay(self, t):
        return [v * (self.decay_rate ** (t // self.decay_t)) for v in self.base_values]


class TimmMultiStepLR(TimmStepLR):
    """timm.scheduler.MultiStepLRScheduler (each decay applies at t = decay_t − 1, as in timm)."""

    def decay(self, t):
        return [v * (self.decay_rate ** bisect.bisect_right(self.decay_t, t + 1)) for v in self.base_values]


class TimmPlateauLR:
    """timm.scheduler.PlateauLRScheduler: a warmup, then torch's ReduceLROnPlateau on the metric, noise.
    Call step(metric) where the loop says; t (timm's epoch) = steps // steps_per_t, and timm's
    step(t, metric) runs once per new t."""

    def __init__(
        self,
        optimizer,
        decay_rate=0.1,
        patience_t=10,
        threshold=1e-4,
        cooldown_t=0,
        warmup_t=0,
        warmup_lr_init=0.0,
        lr_min=0.0,
        mode="max",
        noise_range_t=None,
        noise_type="normal",
        noise_pct=0.67,
        noise_std=1.0,
        noise_seed=42,
        steps_per_t=1,
    ):
        self.optimizer = optimizer
        self.base_values = [group.setdefault("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.lr_scheduler = ReduceLROnPlateau(
            optimizer,
            patience=patience_t,
            factor=decay_rate,
            threshold=threshold,
            cooldown=cooldown_t,
            mode=mode,
            min_lr=lr_min,
        )
        self.noise_range_t = noise_range_t
        self.noise = (noise_type, noise_pct, noise_std, noise_seed)
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.steps_per_t = steps_per_t
        self.steps = 0
        self.t = 0
        if self.warmup_t:
            self.warmup_steps = [(v - warmup_lr_init) / self.warmup_t for v in self.base_values]
            for group in optimizer.param_groups:
                group["lr"] = warmup_lr_init
        self.restore_lr = None

    def step(self, metric=None):
        self.steps += 1
        t = self.steps // self.steps_per_t
        if t == self.t:
            return
        self.t = epoch = t
        if epoch <= self.warmup_t:
            lrs = [self.warmup_lr_init + epoch * s for s in self.warmup_steps]
            for group, lr in zip(self.optimizer.param_groups, lrs):
                group["lr"] = lr
            return
        if self.restore_lr is not None:
            for group, lr in zip(self.optimizer.param_groups, self.restore_lr):
                group["lr"] = lr
            self.restore_lr = None
        if metric is not None:
            self.lr_scheduler.step(metric)
        if timm_noise_applies(self.noise_range_t, epoch):
            noise = timm_noise(epoch, *self.noise)
            self.restore_lr = [float(group["lr"]) for group in self.optimizer.param_groups]
            for group, old in zip(self.optimizer.param_groups, self.restore_lr):
                group["lr"] = old + old * noise
