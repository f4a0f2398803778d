"""LR range test suggestions, with honesty (numpy only): what the loss-vs-LR curve supports, and what it does not.

Pure and cheap, so the trainer (`lrtui.training.lr_find`), `lrtui.find_lr` and the live monitor compute the
very same result from the same logged (lr, loss) points. Docs: docs/lr-find.md (the formulas, and every
deliberate difference from torch-lr-finder and fastai).

The pipeline, `analyze(lrs, losses)`:

1. cut at the first non-finite loss; smooth with the debiased EMA (fastai's AvgSmoothLoss);
2. place each smoothed point at the LR it really describes: the EMA is a weighted mean of the losses at
   earlier steps, so it is put at the same weighted mean of their log(LR) (`lag_corrected_lrs`). fastai and
   torch-lr-finder plot it at the newest step's LR, which shifts the whole curve — and every suggestion —
   towards larger LRs by the EMA's lag (≈ β/(1-β) steps: 49 steps at β=0.98, several decades in a
   100-step sweep);
3. skip the first `steps // 10` points and the last 5 (fastai's window: start-up noise, then the blow-up);
4. suggest: steepest descent (d loss / d log(LR), central differences on the non-uniform grid), fastai's
   valley, and the minimum's LR / 10 (plus fastai's `slide`, reported but not in the band);
5. say how much they disagree (the band), measure the noise, and say whether the curve supports a
   suggestion at all and how many steps would make it do so (`steps_needed`, formula in docs/lr-find.md).

The smoothing strength defaults to `auto_beta`: an EMA as wide as the resolution we want (a quarter of a
decade of LR) at the sweep's density, so a 100-step sweep is not smeared over four decades.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrtui.schedules.smoothing import debiased_ema

SKIP_END = 5  # fastai and torch-lr-finder drop the last 5 points (the loss blowing up)
MIN_POINTS = 10  # fewer usable points than this support no suggestion
MIN_DESCENT_POINTS = 5  # a descent drawn by fewer points is not resolved
RESOLUTION_DECADES = 0.25  # how finely a suggestion should be located: a factor 10**0.25 ≈ 1.8 in LR
CONFIDENCE_Z = 2.0  # ~95%: the descent across one resolution bin must exceed 2 standard errors
DISAGREE_DECADES = 1.0  # suggestions further apart than this are called out
SIGNIFICANT = 3.0  # a descent must exceed 1.5x the range pure noise would give the smoothed curve
SLIDE_DIFF = 15  # fastai's slide compares gradients 15 points apart: it needs more points than that
BAND_NAMES = ("steepest", "valley", "minimum")
LABELS = {
    "steepest": "steepest descent",
    "valley": "valley (fastai)",
    "minimum": "min loss ÷ 10",
    "slide": "slide (fastai)",
}


@dataclass(frozen=True)
class Suggestion:
    name: str  # "steepest" | "valley" | "minimum" | "slide"
    lr: float  # the suggested LR
    index: int  # step of the analysed point it comes from
    at_lr: float  # where that point sits on the LR axis (minimum: the LR of the minimum itself)
    loss: float  # smoothed loss there

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


@dataclass(frozen=True)
class Analysis:
    """Everything the CLI, the API result and the monitor show about one loss-vs-LR curve."""

    lrs: np.ndarray  # the LR of each step (group 0), as logged
    losses: np.ndarray  # raw losses, as logged
    x: np.ndarray  # where each smoothed point sits on the LR axis (lag-corrected), finite prefix only
    smoothed: np.ndarray  # debiased EMA of the losses, finite prefix only
    beta: float
    window: tuple[int, int]  # [lo, hi): the steps the suggestions look at
    suggestions: tuple[Suggestion, ...] = ()  # steepest, valley, minimum (those that exist)
    extra: tuple[Suggestion, ...] = ()  # slide
    noise: float | None = None  # robust std of the raw loss from step to step, in the window
    descent: float | None = None  # how far the smoothed loss falls (loss units)
    descent_decades: float | None = None  # over how many decades of LR its 10-90% part runs
    descent_points: int = 0  # raw steps inside that part
    points_per_decade: float | None = None  # sweep density inside the descent
    steps: int = 0  # planned sweep steps
    steps_needed: int | None = None  # sweep steps that would resolve the descent above the noise
    reliable: bool = False
    warnings: tuple[str, ...] = ()
    cut: int | None = None  # first step whose loss is not finite, if any
    notes: dict = field(default_factory=dict)

    def get(self, name: str) -> Suggestion | None:
        return next((s for s in (*self.suggestions, *self.extra) if s.name == name), None)

    @property
    def band(self) -> tuple[float, float] | None:
        lrs = [s.lr for s in self.suggestions]
        return (min(lrs), max(lrs)) if lrs else None

    @property
    def spread_decades(self) -> float | None:
        band = self.band
        return None if band is None else math.log10(band[1] / band[0])

    @property
    def centre(self) -> float | None:
        """The band's geometric centre."""
        band = self.band
        return None if band is None else math.sqrt(band[0] * band[1])

    def summary_lines(self) -> list[str]:
        """Plain text for the CLI, stdout.log and `LrFindResult.summary()`."""
        lines = []
        for s in self.suggestions:
            lines.append(f"{s.label:<18} {s.lr:.3g}")
        for s in self.extra:
            lines.append(
                f"{s.label:<18} {s.lr:.3g}  (not in the band: its threshold depends on the loss scale)"
            )
        band = self.band
        if band is not None:
            lines.append(
                f"band               {band[0]:.3g} … {band[1]:.3g}  ({self.spread_decades:.2f} decades apart)"
            )
        lines.append(self.verdict())
        lines.extend(f"warning: {w}" for w in self.warnings)
        return lines

    def verdict(self) -> str:
        noise = f"noise σ {self.noise:.3g}/step" if self.noise is not None else "noise unknown"
        if self.reliable:
            return f"reliable: {noise}; the descent is resolved at {RESOLUTION_DECADES:g} decade"
        if self.steps_needed is not None and self.steps_needed > self.steps:
            return f"NOT reliable: {noise}; run ≥ {self.steps_needed:,} steps over the same range"
        return f"NOT reliable: {noise}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (the trainer writes it into an "lr_find" event and status.json)."""
        return {
            "suggestions": {s.name: s.lr for s in (*self.suggestions, *self.extra)},
            "band": list(self.band) if self.band else None,
            "spread_decades": self.spread_decades,
            "noise": self.noise,
            "descent": self.descent,
            "descent_decades": self.descent_decades,
            "points_per_decade": self.points_per_decade,
            "steps_needed": self.steps_needed,
            "reliable": self.reliable,
            "warnings": list(self.warnings),
            "beta": self.beta,
            "window": list(self.window),
        }


# ------------------------------------------------------------------------------------------ smoothing
def auto_beta(lrs: Any, resolution: float = RESOLUTION_DECADES) -> float:
    """The EMA beta whose window spans `resolution` decades of LR at the sweep's density.

    An EMA averages about (1 + β) / (1 - β) points; m points per resolution bin gives β = (m - 1) / (m + 1),
    clipped to [0, 0.98] (0.98 is fastai's fixed choice, right for ~400 steps per decade).
    """
    x = np.asarray(lrs, dtype=np.float64)
    x = x[np.isfinite(x) & (x > 0)]
    if x.size < 2 or x.max() <= x.min():
        return 0.0
    m = (x.size - 1) / math.log10(x.max() / x.min()) * resolution
    return float(min(max((m - 1.0) / (m + 1.0), 0.0), 0.98))


def lag_corrected_lrs(lrs: Any, beta: float) -> np.ndarray:
    """Where each debiased-EMA value really sits: the same weighted mean, taken over log(LR)."""
    x = np.asarray(lrs, dtype=np.float64)
    if beta == 0.0:
        return x.copy()
    return np.exp(debiased_ema(np.log(x), beta))


# ---------------------------------------------------------------------------------------- suggestions
def steepest(lrs: Any, losses: Any, span: float = RESOLUTION_DECADES) -> int | None:
    """Index of the steepest descent of `losses` against log10(LR), or None when the curve never falls.

    The slope at each point is taken across `span` decades centred on it (at least one neighbour each side,
    the curve read by linear interpolation in log LR): on a coarse, uniform grid that is exactly
    `np.gradient`'s central difference (torch-lr-finder's definition for exponential sweeps); on a dense
    sweep it keeps step-to-step noise from deciding where the steepest point is. Non-uniform grids (linear
    sweeps) are handled by working in log LR throughout — torch-lr-finder differentiates per step, which is
    per log(LR) only for exponential sweeps; fastai takes forward differences and reports the left point.
    """
    u = np.log10(np.asarray(lrs, dtype=np.float64))
    y = np.asarray(losses, dtype=np.float64)
    n = y.size
    if n < 2:
        return None
    gaps = np.diff(u)
    widest = np.maximum(np.concatenate([gaps[:1], gaps]), np.concatenate([gaps, gaps[-1:]]))
    h = np.maximum(span / 2, widest)
    left = np.maximum(u - h, u[0])
    right = np.minimum(u + h, u[-1])
    slope = (np.interp(right, u, y) - np.interp(left, u, y)) / (right - left)
    i = int(np.argmin(slope))
    return i if slope[i] < 0 else None


def valley(losses: Any) -> int:
    """fastai's `valley`, exactly: the point 1/3 + 1/6 into the longest decreasing run of the curve.

    fastai finds the longest strictly decreasing subsequence with an O(n²) double loop and, each time a
    point ends a longer one than any before, takes `end - length` as its start (an estimate that assumes the
    run is contiguous). A point can only beat the record by one, so the lengths fastai reads mid-loop are
    the final ones, and the classic O(n log n) patience sort gives them (`length` = 1 + where -loss goes in
    the sorted tails). tests/schedules/test_lr_suggest.py checks it against a verbatim port.
    """
    z = (-np.asarray(losses, dtype=np.float64)).tolist()
    if not z:
        return 0
    tails = [z[0]]
    best, max_start, max_end = 1, 0, 0
    for i in range(1, len(z)):
        pos = bisect_left(tails, z[i])
        if pos == len(tails):
            tails.append(z[i])
        else:
            tails[pos] = z[i]
        if pos + 1 > best:  # a new longest run ends here (fastai keeps the first point that reaches it)
            best, max_end, max_start = pos + 1, i, i - (pos + 1)
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def minimum(losses: Any) -> int:
    """Index of the lowest (smoothed) loss; the suggestion is its LR / 10."""
    return int(np.argmin(np.asarray(losses, dtype=np.float64)))


def slide(
    lrs: Any, losses: Any, lr_diff: int = 15, thresh: float = 0.005, adjust_value: float = 1.0
) -> float:
    """fastai's `slide` rule, exactly (its threshold is in loss units per step, so it depends on the loss scale)."""
    lrs = np.asarray(lrs, dtype=np.float64)
    grad = np.gradient(np.asarray(losses, dtype=np.float64))
    n = grad.size
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = lrs[l_idx]
    while l_idx >= -n and abs(grad[r_idx] - grad[l_idx]) > thresh:
        local_min_lr = lrs[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr) * adjust_value


# -------------------------------------------------------------------------------------------- honesty
def step_noise(losses: Any) -> float | None:
    """Robust std of the per-step noise: MAD of first differences / (0.6745 √2) (a slow trend cancels)."""
    d = np.diff(np.asarray(losses, dtype=np.float64))
    d = d[np.isfinite(d)]
    if d.size < 4:
        return None
    mad = float(np.median(np.abs(d - np.median(d))))
    return mad / (0.6744897501960817 * math.sqrt(2.0))


def points_per_decade_needed(noise: float, slope: float, resolution: float = RESOLUTION_DECADES) -> float:
    """Sweep density (steps per decade) at which the descent is resolved above the noise.

    Averaging the m = p·δ steps of one bin of δ decades leaves noise σ/√m; two neighbouring bins differ by
    slope·δ on average and their difference has noise σ·√(2/m). Asking slope·δ ≥ z·σ·√(2/m) gives
    p ≥ 2 z² σ² / (slope² δ³)  (docs/lr-find.md).
    """
    return 2.0 * CONFIDENCE_Z**2 * noise**2 / (slope**2 * resolution**3)


def descent_span(s: np.ndarray, i_top: int, i_min: int) -> tuple[int, int]:
    """(i90, i10): the descent's 10-90% part, from the last point above 90% of the fall (before the minimum)
    to the first point below 10% of it, so a long flat start does not count as descent."""
    top, bottom = s[i_top], s[i_min]
    fell = top - bottom
    i90 = int(np.flatnonzero(s[: i_min + 1] >= bottom + 0.9 * fell)[-1])
    i10 = i90 + int(np.flatnonzero(s[i90 : i_min + 1] <= bottom + 0.1 * fell)[0])
    if i10 == i90:  # a one-step cliff: as wide as one step
        i10 = min(i90 + 1, s.size - 1)
    return i90, i10


def analyze(
    lrs: Any,
    losses: Any,
    *,
    steps: int | None = None,
    beta: float | None = None,
    skip_start: int | None = None,
    skip_end: int = SKIP_END,
    lag_correct: bool = True,
) -> Analysis:
    """Suggestions and their credibility for one sweep (`lrs`, `losses`: one value per step, as logged).

    `steps`: the sweep's planned length (sets fastai's skip of the first steps//10 points and the steps
    figure; default: the points given). `beta`: EMA smoothing (None = `auto_beta`).
    """
    lr_all = np.asarray(lrs, dtype=np.float64).ravel()
    loss_all = np.asarray(losses, dtype=np.float64).ravel()
    n = min(lr_all.size, loss_all.size)
    lr_all, loss_all = lr_all[:n], loss_all[:n]
    steps = int(steps) if steps else n
    bad = np.flatnonzero(~(np.isfinite(loss_all) & np.isfinite(lr_all) & (lr_all > 0)))
    cut = int(bad[0]) if bad.size else None
    m = n if cut is None else cut
    lr_ok, loss_ok = lr_all[:m], loss_all[:m]
    if beta is None:
        beta = auto_beta(lr_ok if m >= 2 else lr_all)
    smoothed = debiased_ema(loss_ok, beta) if m else np.empty(0)
    x = lag_corrected_lrs(lr_ok, beta) if lag_correct and m else lr_ok.copy()
    lo = max(steps // 10 if skip_start is None else skip_start, 0)
    hi = m - skip_end
    base = dict(lrs=lr_all, losses=loss_all, x=x, smoothed=smoothed, beta=beta, steps=steps, cut=cut)
    if hi - lo < MIN_POINTS:
        usable = max(hi - lo, 0)
        why = (
            f"too short: {usable} usable points (the first {lo} and the last {skip_end} are skipped"
            + (f", and the loss stopped being finite at step {cut}" if cut is not None else "")
            + f"); at least {MIN_POINTS} are needed"
        )
        return Analysis(**base, window=(lo, max(hi, lo)), warnings=(why,))
    xw, sw = x[lo:hi], smoothed[lo:hi]
    found: list[Suggestion] = []
    warnings: list[str] = []

    def make(name: str, i: int, lr: float) -> Suggestion:
        return Suggestion(name, float(lr), lo + i, float(xw[i]), float(sw[i]))

    i_min = minimum(sw)
    i_top = int(np.argmax(sw[: i_min + 1]))
    fell = sw[i_top] - sw[i_min]
    # Only the way down counts: past the minimum a steep drop is the blow-up's noise, not a good LR.
    i_steep = steepest(xw[: i_min + 1], sw[: i_min + 1]) if i_min >= 1 else None
    i_valley = valley(sw)
    noise = step_noise(loss_ok[lo:hi])
    # A fall within what the smoothed noise alone would draw is no descent (a flat start wobbles too): the
    # range of k independent values of std σ_s is about 2·σ_s·√(2 ln k), k = the EMA windows in view.
    smoothed_noise = (noise or 0.0) * math.sqrt((1.0 - beta) / (1.0 + beta))
    windows = max((hi - lo) * (1.0 - beta) / (1.0 + beta), 2.0)
    if fell <= SIGNIFICANT * smoothed_noise * math.sqrt(2.0 * math.log(windows)):
        fell, i_steep = 0.0, None
    if i_steep is not None:
        found.append(make("steepest", i_steep, xw[i_steep]))
        found.append(make("valley", i_valley, xw[i_valley]))
        found.append(make("minimum", i_min, xw[i_min] / 10))
    extra = (make("slide", 0, slide(xw, sw)),) if i_steep is not None and sw.size > SLIDE_DIFF else ()
    if extra:  # slide reports an LR, not an index: mark it on the curve where that LR is
        j = int(np.clip(np.searchsorted(xw, extra[0].lr), 0, xw.size - 1))
        extra = (Suggestion("slide", extra[0].lr, lo + j, float(xw[j]), float(sw[j])),)

    descent_decades, descent_points = None, 0
    if fell > 0:
        i90, i10 = descent_span(sw, i_top, i_min)
        descent_decades = math.log10(xw[i10] / xw[i90]) if xw[i10] > xw[i90] else None
        raw_lr = lr_ok[lo:hi]
        descent_points = int(np.count_nonzero((raw_lr >= xw[i90]) & (raw_lr <= xw[i10])))
        # The noise that matters is where the suggestions are: from the descent on (the flat start at tiny
        # LRs is much quieter than the loss near a good LR).
        tail = loss_ok[lo:hi][raw_lr >= xw[i90]]
        if tail.size >= 8:
            noise = step_noise(tail)
    ppd = descent_points / descent_decades if descent_decades else None
    steps_needed = None
    reliable = True
    if not found or fell <= 0:
        reliable = False
        warnings.append(
            "no descent so far: the smoothed loss has not fallen beyond its own noise — start lower (start_lr), "
            "sweep higher (end_lr), or check that the model learns"
        )
    else:
        if noise is not None and noise > 0 and descent_decades and ppd:
            slope = 0.8 * fell / descent_decades  # the 10-90% part of the fall
            need = points_per_decade_needed(noise, slope)
            if need > ppd:
                reliable = False
                steps_needed = math.ceil(steps * need / ppd)
                narrower = ""
                fits = steps / need  # decades that `steps` steps cover at the density needed
                if fits >= descent_decades + 1.0 and fits < math.log10(lr_ok[-1] / lr_ok[0]):
                    margin = (fits - descent_decades) / 2
                    narrower = (
                        f", or sweep {xw[i90] / 10**margin:.2g} → {xw[i10] * 10**margin:.2g} "
                        f"(exponential) in the same {steps:,} steps"
                    )
                warnings.append(
                    f"too noisy: the loss falls {fell:.3g} over {descent_decades:.2f} decades but moves "
                    f"{noise:.3g} from step to step; locating the LR to {RESOLUTION_DECADES:g} decade needs "
                    f"{need:.0f} steps/decade there, the sweep has {ppd:.0f} → run ≥ {steps_needed:,} steps "
                    f"(or a batch {need / ppd:.1f}× larger{narrower})"
                )
        if descent_points < MIN_DESCENT_POINTS:
            reliable = False
            more = math.ceil(steps * MIN_DESCENT_POINTS / max(descent_points, 1))
            steps_needed = max(steps_needed or 0, more)
            warnings.append(
                f"too short: only {descent_points} steps fall inside the descent; ≥ {MIN_DESCENT_POINTS} "
                f"needed → run ≥ {more:,} steps"
            )
        span = math.log10(lr_ok[-1] / lr_ok[0]) if lr_ok[-1] > lr_ok[0] else 0.0
        if span > 0 and beta > 0:
            blur = (1.0 + beta) / (1.0 - beta) / ((m - 1) / span)  # decades an EMA of this beta averages
            if blur > 4 * RESOLUTION_DECADES:
                warnings.append(
                    f"smoothing β={beta:.2f} averages ~{blur:.1f} decades of this sweep: the curve and its "
                    "suggestions are blurred (auto smoothing avoids that)"
                )
        if i_min >= sw.size - 2 and cut is None:
            warnings.append("the loss was still falling at the end: raise end_lr to see where it turns")
        lrs_found = [s.lr for s in found]
        spread = math.log10(max(lrs_found) / min(lrs_found))
        if spread > DISAGREE_DECADES:
            warnings.append(
                f"the suggestions disagree by {spread:.1f} decades: read the curve, not one number"
            )
    return Analysis(
        **base,
        window=(lo, hi),
        suggestions=tuple(found),
        extra=extra,
        noise=noise,
        descent=float(fell) if fell > 0 else None,
        descent_decades=descent_decades,
        descent_points=descent_points,
        points_per_decade=ppd,
        steps_needed=steps_needed,
        reliable=reliable,
        warnings=tuple(warnings),
    )


# ------------------------------------------------------------------------------------------ hand-off
HANDOFF_TARGETS = {
    "onecycle": "OneCycleLR max_lr",
    "warmup_cosine": "warmup + cosine peak",
}
WARMUP_FRACTION = 0.05  # warmup + cosine: the first 5% of the steps warm up linearly from peak / 100


def peak_schedule(target: str, peak_lr: float, total_steps: int) -> tuple[str, float]:
    """(spec, base LR) of a schedule whose peak is `peak_lr` over `total_steps` optimizer steps.

    onecycle: OneCycleLR(max_lr=peak) — torch's defaults for the rest (warm up 30% from peak/25, anneal to
    peak/25e4). warmup_cosine: SequentialLR of a linear warmup from peak/100 over 5% of the steps and a
    cosine down to peak/100; the base LR is the peak.
    """
    peak = float(f"{peak_lr:.3g}")
    total = max(int(total_steps), 2)
    if target == "onecycle":
        return f"OneCycleLR(max_lr={peak:g}, total_steps={total})", peak
    if target == "warmup_cosine":
        warmup = max(1, round(WARMUP_FRACTION * total))
        eta_min = float(f"{peak / 100:.3g}")
        spec = (
            f"SequentialLR(schedulers=[LinearLR(start_factor=0.01, total_iters={warmup}), "
            f"CosineAnnealingLR(T_max={total - warmup}, eta_min={eta_min:g})], milestones=[{warmup}])"
        )
        return spec, peak
    raise ValueError(f"target={target!r} is not allowed: one of {', '.join(HANDOFF_TARGETS)}")
