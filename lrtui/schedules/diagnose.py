"""What went wrong between a plan and the LR a run really logged (the "LR doctor"'s second half). Pure numpy.

    from lrtui.schedules.diagnose import diagnose_group
    findings = diagnose_group(steps, logged, planned, steps_per_epoch=390, resumes=[1200])

`planned[k]` is the engine's LR for optimizer step k (index = step). Each `Finding` names one classic
mistake with its evidence (steps and values printed with enough digits to differ) and the fix in one line:

- the scheduler stepped per epoch while the plan is per step (or the reverse);
- stepped before the optimizer (the whole curve one step ahead) or offset by a few steps;
- AMP / GradScaler-skipped optimizer steps: the LR stalls one step each time and lags the plan (or runs
  ahead, when the step counter only counts real updates);
- a different base LR (a constant ratio);
- a schedule sized for another run length (agrees, then ends early/late — explained with the inferred spec);
- a resume that does not continue the plan: warmup restarted (scheduler state not loaded), one step ahead
  (`last_epoch=` on construction), the optimizer state loaded before the scheduler was built (the
  constructor's first step re-applied to the restored LR), or the optimizer state not loaded;
- per-group mismatch (reported by `diagnose_groups`).

The index mappings are tracked exactly: logged[i] == planned[steps[i] + offset] with an offset that may
change at a few steps (skips, resumes); the offsets' pattern names the mistake.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

RTOL = 1e-6  # a logged LR equals the planned one (float32 logs included)
MAX_SEGMENTS = 400  # offset changes tracked before the pattern is summarised
WINDOW = 6  # points that must agree to accept a new offset


@dataclass(frozen=True)
class Finding:
    """One diagnosis: what, the evidence, and the fix (each one line)."""

    kind: str
    title: str
    evidence: str
    fix: str
    first_step: int | None = None
    group: int = 0
    steps: tuple[int, ...] = ()  # steps that show it (skips, resume points)
    actual: float | None = None  # the LRs at first_step, logged and planned
    planned: float | None = None
    severity: str = "error"  # "error" (the LR is not what was planned) | "info"

    def line(self) -> str:
        group = f"group {self.group}: " if self.group else ""
        return f"{group}{self.title}"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "evidence": self.evidence,
            "fix": self.fix,
            "first_step": self.first_step,
            "group": self.group,
            "steps": list(self.steps),
            "actual": _finite(self.actual),
            "planned": _finite(self.planned),
            "severity": self.severity,
        }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


# ------------------------------------------------------------------------------------------- numbers
def format_pair(a: float, b: float, max_digits: int = 17) -> tuple[str, str]:
    """a and b with the fewest significant digits (≥ 4) at which they read differently — the alarm must
    never say `logged 0.1 vs planned 0.1`."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return f"{a:.4g}", f"{b:.4g}"
    for digits in range(4, max_digits + 1):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb or a == b:
            return sa, sb
    return repr(a), repr(b)


def fmt(x: float) -> str:
    return f"{x:.6g}"


def close(a: np.ndarray, b: np.ndarray, scale: float, rtol: float = RTOL) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b)) + 1e-12 * scale


# ------------------------------------------------------------------------------------------- offsets
@dataclass(frozen=True)
class Segment:
    start: int  # index into the logged points
    stop: int  # exclusive
    offset: int  # logged[i] == planned[steps[i] + offset]


def track_offsets(
    steps: np.ndarray, y: np.ndarray, planned: np.ndarray, scale: float, *, hints: tuple[int, ...] = ()
) -> tuple[list[Segment], int | None]:
    """Segments of constant offset between the logged and planned LR, and the index where no small offset
    (nor a restart from 0) explains the log any more (None when every point is explained).

    `hints`: steps where a resume happened (the offset may jump to −step there).
    """
    n = y.size
    P = planned.size
    segs: list[Segment] = []
    i = 0
    offset = 0
    hint_set = set(int(h) for h in hints)
    while i < n:
        cands = _offset_candidates(offset, int(steps[i]), bool(segs), hint_set)
        chosen = None
        # a long window first (no chance agreement); shorter ones let an offset hold for a single point
        # (two skipped updates in a row change it twice)
        for window in (WINDOW, 2, 1):
            for o in cands if window == WINDOW else cands[:7]:
                idx = steps[i : i + window] + o
                if idx[0] < 0 or idx[-1] >= P:
                    continue
                if np.all(close(y[i : i + window], planned[idx], scale)):
                    chosen = o
                    break
            if chosen is not None:
                break
        if chosen is None:
            return segs, i
        offset = chosen
        j = _first_mismatch(steps, y, planned, scale, i, offset)
        if segs and segs[-1].offset == offset:
            segs[-1] = Segment(segs[-1].start, j, offset)
        else:
            segs.append(Segment(i, j, offset))
        if len(segs) > MAX_SEGMENTS:
            return segs, j if j < n else None
        i = j
    return segs, None


def _offset_candidates(prev: int, step: int, started: bool, hints: set[int]) -> list[int]:
    near = [prev] + [prev + d for r in range(1, 4) for d in (-r, r)]
    if not started:
        near = [0, 1, -1, 2, -2, 3, -3, prev]
    restart = [-step + d for d in (0, 1, -1)]  # the schedule started over at this step
    out = near + restart if step in hints or started else near
    seen: set[int] = set()
    return [o for o in out if not (o in seen or seen.add(o))]


def _first_mismatch(steps, y, planned, scale, i: int, offset: int) -> int:
    """The first index ≥ i where logged != planned[step + offset] (or the plan ends); n if none."""
    n = y.size
    P = planned.size
    chunk = 4096
    j = i
    while j < n:
        stop = min(n, j + chunk)
        idx = steps[j:stop] + offset
        inside = (idx >= 0) & (idx < P)
        ok = np.zeros(stop - j, dtype=bool)
        ok[inside] = close(y[j:stop][inside], planned[idx[inside]], scale)
        bad = np.flatnonzero(~ok)
        if bad.size:
            return j + int(bad[0])
        j = stop
        chunk *= 2
    return n


# ------------------------------------------------------------------------------------------- the checks
@dataclass
class PlanInfo:
    """What the plan says (for the fix lines): the spec, stepping, the epoch length, the base LRs."""

    spec: str = ""
    stepping: str = "step"
    steps_per_epoch: int = 1
    base_lrs: tuple[float, ...] = ()
    total_steps: int | None = None
    end_step: float | None = None  # where the plan's schedule ends (its last "end" marker), if it says


@dataclass
class GroupCheck:
    compared: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def diagnose_group(
    steps,
    logged,
    planned: np.ndarray,
    *,
    plan: PlanInfo | None = None,
    resumes: tuple[int, ...] = (),
    group: int = 0,
    inferred=None,
) -> GroupCheck:
    """Compare one group's logged LR with its plan and name what went wrong (see the module docstring)."""
    plan = plan or PlanInfo()
    s = np.asarray(steps, dtype=np.int64)
    y = np.asarray(logged, dtype=np.float64)
    p = np.asarray(planned, dtype=np.float64)
    keep = np.isfinite(y) & (s >= 0)
    s, y = s[keep], y[keep]
    out = GroupCheck()
    if s.size == 0 or p.size == 0:
        return out
    inside = s < p.size
    if not inside.any():
        return out
    scale = float(np.nanmax(np.abs(p))) or 1.0
    si, yi = s[inside], y[inside]
    out.compared = int(si.size)
    good = close(yi, p[si], scale)
    past = int(s.size - si.size)
    if good.all():
        if past:
            out.findings.append(_past_end(s, p, plan, group))
        return out
    first = int(np.argmin(good))
    base = dict(group=group, first_step=int(si[first]), actual=float(yi[first]), planned=float(p[si[first]]))
    spe = max(int(plan.steps_per_epoch or 1), 1)
    # -- whole-curve index mappings ------------------------------------------------------------------
    if spe > 1 and plan.stepping != "epoch" and _maps(yi, p, si // spe, scale):
        out.findings.append(_per_epoch(si, yi, p, spe, base))
        return out
    held = held_length(si, yi) if plan.stepping != "epoch" else None
    if held is not None and held != spe and _maps(yi, p, si // held, scale):
        # no epoch length declared (RunLogger(scheduler=...) in a plain loop): the log's own plateaus say it
        out.findings.append(_per_epoch(si, yi, p, held, base))
        return out
    if spe > 1 and plan.stepping == "epoch" and _maps(yi, p, si * spe, scale):
        out.findings.append(_per_step(si, yi, p, spe, base))
        return out
    ratio = _constant_ratio(yi, p[si], scale)
    if ratio is not None:
        out.findings.append(_scaled(ratio, plan, base, si, yi, p))
        return out
    # -- offsets: shifts, skipped steps, resumes -----------------------------------------------------
    segs, stuck = track_offsets(si, yi, p, scale, hints=tuple(resumes))
    findings = _classify_offsets(si, yi, p, segs, stuck, resumes, plan, base, scale)
    if findings is not None:
        out.findings.extend(findings)
        return out
    # -- agrees, then diverges: a schedule sized for another length ----------------------------------
    out.findings.append(_diverges(si, yi, p, segs, stuck, plan, base, inferred))
    return out


def held_length(s: np.ndarray, y: np.ndarray) -> int | None:
    """How many steps the LR of a dense log holds at a time, when it only ever changes at multiples of
    one length ≥ 2 (a scheduler stepped once per epoch of that many steps), else None."""
    if s.size < 8 or s[0] != 0 or np.any(np.diff(s) != 1):
        return None
    changes = s[1:][y[1:] != y[:-1]]
    if changes.size < 2:
        return None
    held = int(np.gcd.reduce(changes))
    return held if held >= 2 else None


def _maps(y: np.ndarray, p: np.ndarray, idx: np.ndarray, scale: float) -> bool:
    inside = (idx >= 0) & (idx < p.size)
    return bool(inside.sum() >= 2 and np.all(close(y[inside], p[idx[inside]], scale)))


def _constant_ratio(y: np.ndarray, p: np.ndarray, scale: float) -> float | None:
    nz = np.abs(p) > 1e-9 * scale
    if nz.sum() < 2:
        return None
    r = y[nz] / p[nz]
    r0 = float(np.median(r))
    if not (math.isfinite(r0) and r0 > 0) or abs(r0 - 1) <= RTOL:
        return None
    return r0 if np.all(np.abs(r - r0) <= 10 * RTOL * r0) else None


def _vs(actual: float, planned: float) -> str:
    a, b = format_pair(actual, planned)
    return f"logged {a} vs planned {b}"


def _per_epoch(si, yi, p, spe, base) -> Finding:
    # the first epoch boundary after step 0 where the plan moved but the log did not
    step = next((int(k) for k in si if 0 < k < p.size and abs(p[k] - p[k - 1]) > 0 and k % spe), None)
    step = step if step is not None else base["first_step"]
    j = int(np.searchsorted(si, step))
    a = float(yi[j]) if j < yi.size and si[j] == step else base["actual"]
    return Finding(
        "per_epoch",
        "scheduler stepped once per epoch, but the plan steps it every optimizer step",
        f"the LR holds for {spe} steps at a time (an epoch); at step {step:,}: {_vs(a, float(p[step]))}",
        "call scheduler.step() after every optimizer.step() (inside the batch loop), or plan it per epoch",
        **{**base, "first_step": step, "actual": a, "planned": float(p[step])},
    )


def _per_step(si, yi, p, spe, base) -> Finding:
    return Finding(
        "per_step",
        "scheduler stepped every optimizer step, but the plan steps it once per epoch",
        f"the LR changes within epochs ({spe} steps each); from step {base['first_step']:,}: "
        f"{_vs(base['actual'], base['planned'])}",
        "call scheduler.step() once per epoch (after the batch loop), or plan it per step",
        **base,
    )


def _scaled(ratio, plan: PlanInfo, base, si, yi, p) -> Finding:
    planned_base = plan.base_lrs[min(base["group"], len(plan.base_lrs) - 1)] if plan.base_lrs else None
    r_text = f"{ratio:.6g}"
    evidence = f"every logged LR is {r_text} × the plan's; at step {base['first_step']:,}: " + _vs(
        base["actual"], base["planned"]
    )
    if planned_base:
        a, b = format_pair(planned_base * ratio, planned_base)
        fix = (
            f"the optimizer's base LR is {a}, the plan's {b}: pass lr={b} to the optimizer (or plan with {a})"
        )
    else:
        fix = f"the optimizer's base LR is {r_text} × the plan's: make the two agree"
    return Finding("scaled", f"base LR differs from the plan (× {r_text})", evidence, fix, **base)


def _past_end(s, p, plan: PlanInfo, group: int) -> Finding:
    beyond = int(np.searchsorted(s, p.size))
    return Finding(
        "past_end",
        f"the run went on past the plan's {p.size:,} steps",
        f"{s.size - beyond:,} logged steps after step {p.size - 1:,} have no planned LR",
        "size the schedule for the whole run (total steps = epochs × steps per epoch)",
        first_step=int(p.size),
        group=group,
        severity="info",
    )


# ------------------------------------------------------------------------------------------- offsets → findings
def _classify_offsets(si, yi, p, segs, stuck, resumes, plan, base, scale) -> list[Finding] | None:
    if not segs or (stuck is not None and stuck < 0.5 * si.size and not resumes):
        return None  # nothing explained (or only a prefix): not an offset story
    findings: list[Finding] = []
    resume_set = sorted(set(int(r) for r in resumes))
    # a constant offset from the start
    if segs[0].offset != 0:
        o = segs[0].offset
        step0 = int(si[segs[0].start])
        a, pl = float(yi[segs[0].start]), float(p[si[segs[0].start]])
        if o == 1:
            findings.append(
                Finding(
                    "shifted",
                    "scheduler stepped before the optimizer: the LR runs one step ahead of the plan",
                    f"logged LR at step k is the plan's at k+1 (step {step0:,}: {_vs(a, pl)}; "
                    f"plan's next: {fmt(float(p[step0 + 1]))})",
                    "call optimizer.step() first, then scheduler.step() (torch warns: "
                    "'lr_scheduler.step() before optimizer.step()')",
                    **{**base, "first_step": step0, "actual": a, "planned": pl},
                )
            )
        else:
            ahead = "ahead of" if o > 0 else "behind"
            findings.append(
                Finding(
                    "offset",
                    f"the LR runs {abs(o)} steps {ahead} the plan",
                    f"logged LR at step k is the plan's at k{o:+d} (step {step0:,}: {_vs(a, pl)})",
                    "start the scheduler with the training loop (default last_epoch, stepped once per "
                    "optimizer step)",
                    **{**base, "first_step": step0, "actual": a, "planned": pl},
                )
            )
    # changes of offset: skipped steps (±1 at isolated points) and resumes (jumps)
    lags: list[int] = []
    leads: list[int] = []
    for prev, seg in itertools.pairwise(segs):
        if seg is segs[-1] and seg.stop - seg.start < 2 and seg.stop == si.size:
            break  # one last point: a loop that stopped stepping at the end, not evidence of anything
        step = int(si[seg.start])
        d = seg.offset - prev.offset
        at_resume = any(
            abs(step - r) <= 2 or (prev.stop <= np.searchsorted(si, r) <= seg.start) for r in resume_set
        )
        if at_resume or abs(d) > 3:
            findings.append(_resume_finding(si, yi, p, prev, seg, at_resume, base))
        elif d < 0:
            lags.extend([step] * (-d))
        else:
            leads.extend([step] * d)
    if lags:
        findings.append(_skips(lags, si, yi, p, base, lag=True))
    if leads:
        findings.append(_skips(leads, si, yi, p, base, lag=False))
    if stuck is not None:
        f = _diverges(si, yi, p, segs, stuck, PlanInfo(), base, None)
        findings.append(f)
    return findings or None


def _skips(at: list[int], si, yi, p, base, lag: bool) -> Finding:
    shown = ", ".join(f"{s:,}" for s in at[:6]) + (" …" if len(at) > 6 else "")
    first = at[0]
    j = int(np.searchsorted(si, first))
    a = float(yi[j]) if j < yi.size else base["actual"]
    pl = float(p[first]) if first < p.size else base["planned"]
    if lag:
        return Finding(
            "amp_skips",
            f"the schedule lags the plan by {len(at)} step(s): the scheduler did not advance at "
            f"{len(at)} step(s) — optimizer steps skipped (AMP GradScaler found inf/NaN gradients)",
            f"the LR repeats at steps {shown} (step {first:,}: {_vs(a, pl)})",
            "step the scheduler on every iteration (or count only the optimizer steps that ran as steps); "
            "HF/accelerate skip it on purpose",
            **{**base, "first_step": first, "actual": a, "planned": pl},
            steps=tuple(at[:100]),
        )
    return Finding(
        "amp_skips",
        f"the schedule runs {len(at)} step(s) ahead of the plan: the scheduler advanced on iterations whose "
        "optimizer step was skipped (AMP GradScaler), which the step count leaves out",
        f"the LR skips a value at steps {shown} (step {first:,}: {_vs(a, pl)})",
        "count iterations, not successful optimizer steps, as the step (or step the scheduler only when the "
        "optimizer stepped)",
        **{**base, "first_step": first, "actual": a, "planned": pl},
        steps=tuple(at[:100]),
    )


def _resume_finding(si, yi, p, prev: Segment, seg: Segment, at_resume: bool, base) -> Finding:
    step = int(si[seg.start])
    a, pl = float(yi[seg.start]), float(p[step]) if step < p.size else math.nan
    where = "at the resume" if at_resume else "(no resume logged there)"
    ev = f"step {step:,}: {_vs(a, pl)}"
    extra = {**base, "first_step": step, "actual": a, "planned": pl, "steps": (step,)}
    if seg.offset in (-step, -step + 1, -step - 1):
        return Finding(
            "resume_restart",
            f"the schedule started over at step {step:,} {where}: warmup restarted",
            ev + f" (= the plan at step {max(step + seg.offset, 0):,})",
            "save scheduler.state_dict() with the checkpoint and call scheduler.load_state_dict() after "
            "building the scheduler",
            **extra,
        )
    if seg.offset == prev.offset + 1:
        return Finding(
            "resume_one_ahead",
            f"after the resume at step {step:,} the LR runs one step ahead of the plan",
            ev + " (= the plan's next value)",
            "build the scheduler with the default last_epoch=-1 and load its state_dict; constructing with "
            "last_epoch=N steps it once more",
            **extra,
        )
    kind = "resume_jump" if at_resume else "jump"
    back = seg.offset < prev.offset
    return Finding(
        kind,
        f"the LR jumps {'back' if back else 'forward'} {abs(seg.offset - prev.offset):,} steps of the plan at "
        f"step {step:,} {where}",
        ev + f" (= the plan at step {step + seg.offset:,})",
        "restore the scheduler's state (scheduler.load_state_dict) from the same checkpoint as the model",
        **extra,
    )


LENGTH_PARAMS = frozenset(
    (
        "T_max", "T_0", "total_iters", "total_steps", "step_size", "milestones", "num_training_steps",
        "num_warmup_steps", "num_decay_steps", "num_stable_steps", "epochs", "t_initial", "warmup_t",
        "step_size_up", "step_size_down", "decay_t", "warm_up", "warm_up_epochs", "total_epoch",
    )
)  # fmt: skip


def spec_differences(declared: str, inferred: str) -> list[tuple[str, object, object]] | None:
    """(parameter path, declared value, inferred value) where two specs of the same kinds differ; None when
    their kinds (or children's kinds) differ. Defaults are filled in, so StepLR(step_size=3) and
    StepLR(step_size=3, gamma=0.1) are the same."""
    from lrtui.schedules.catalogue import Bound, Context, resolve
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.spec import parse

    try:
        a = resolve(parse(declared), Context())
        b = resolve(parse(inferred), Context())
    except SpecError:
        return None
    out: list[tuple[str, object, object]] = []

    def walk(x: Bound, y: Bound, path: str) -> bool:
        if x.kind.name != y.kind.name:
            return False
        for key in x.args:
            u, v = x.args[key], y.args.get(key)
            here = f"{path}.{key}" if path else key
            if isinstance(u, Bound) and isinstance(v, Bound):
                if not walk(u, v, here):
                    return False
            elif isinstance(u, tuple) and u and isinstance(u[0], Bound):
                if not isinstance(v, tuple) or len(u) != len(v):
                    return False
                for i, (cu, cv) in enumerate(zip(u, v)):
                    if not walk(cu, cv, f"{here}[{i}]"):
                        return False
            elif key != "last_epoch" and _differs(u, v):
                out.append((here, u, v))
        return True

    return out if walk(a, b, "") else None


def _differs(u: object, v: object) -> bool:
    if isinstance(u, (int, float)) and isinstance(v, (int, float)) and not isinstance(u, bool):
        return not math.isclose(float(u), float(v), rel_tol=1e-6, abs_tol=1e-12)
    if isinstance(u, (list, tuple)) and isinstance(v, (list, tuple)):
        return len(u) != len(v) or any(_differs(a, b) for a, b in zip(u, v))
    return u != v


def _diverges(si, yi, p, segs, stuck, plan: PlanInfo, base, inferred) -> Finding:
    agree = int(segs[0].stop) if segs and segs[0].offset == 0 else 0
    first = base["first_step"]
    if stuck is not None and stuck < si.size and si[stuck] > first:
        first = int(si[stuck])
    j = int(np.searchsorted(si, first))
    a = float(yi[j]) if j < yi.size else base["actual"]
    pl = float(p[first]) if first < p.size else base["planned"]
    extra = {**base, "first_step": first, "actual": a, "planned": pl}
    ev = f"agrees for {agree:,} logged steps, then at step {first:,}: {_vs(a, pl)}"
    logged_spec = inferred.spec if inferred is not None and getattr(inferred, "spec", None) else None
    diffs = spec_differences(plan.spec, logged_spec) if plan.spec and logged_spec else None
    if diffs:
        lengths = [d for d in diffs if d[0].split(".")[-1].split("[")[0] in LENGTH_PARAMS]
        said = ", ".join(f"{path}={_show(v)} (plan: {_show(u)})" for path, u, v in diffs[:4])
        if lengths:
            path, u, v = lengths[0]
            ratio = _ratio(u, v)
            early = ratio is not None and ratio > 1
            hint = ""
            spe = plan.steps_per_epoch or 1
            if spe > 1 and ratio is not None and abs(ratio - spe) <= 0.02 * spe:
                hint = f" — counted in epochs, but the scheduler steps {spe}× per epoch"
            elif spe > 1 and ratio is not None and abs(1 / ratio - spe) <= 0.02 * spe:
                hint = " — counted in steps, but the scheduler steps once per epoch"
            return Finding(
                "wrong_total",
                f"the schedule ends {'early' if early else 'late'}: the logged curve has {path}={_show(v)}, the "
                f"plan {path}={_show(u)}{hint}",
                f"{ev}; the logged curve is {logged_spec} ({said})",
                f"build it with {path}={_show(u)} (the optimizer steps it will really take)",
                **extra,
            )
        return Finding(
            "other",
            f"the scheduler's arguments differ from the plan: {said}",
            f"{ev}; the logged curve is {logged_spec}",
            "build the scheduler with the plan's arguments (or update the plan)",
            **extra,
        )
    if agree >= 2 and agree >= 0.02 * si.size:
        tail = f"; the logged curve is {logged_spec}" if logged_spec else ""
        return Finding(
            "wrong_total",
            "the schedule agrees with the plan, then diverges: sized for another run length",
            ev + tail,
            "size the schedule for the run (T_max / total_steps / num_training_steps = the steps it will be "
            "stepped, after the warmup where the spec counts it apart)",
            **extra,
        )
    tail = f"; the logged curve is {logged_spec}" if logged_spec else ""
    return Finding(
        "other",
        "the LR differs from the plan",
        f"from step {first:,}: {_vs(a, pl)}{tail}",
        "check which scheduler the loop steps, and that its arguments match the plan",
        **extra,
    )


def _show(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)


def _ratio(u: object, v: object) -> float | None:
    """How many times longer the plan's length is than the logged one's."""
    if isinstance(u, (list, tuple)) and isinstance(v, (list, tuple)) and u and v:
        u, v = u[-1], v[-1]
    if isinstance(u, (int, float)) and isinstance(v, (int, float)) and v:
        return float(u) / float(v)
    return None


def _end_of(inferred) -> float | None:
    """Where the inferred schedule ends (its "end" marker, else its last marker), in optimizer steps."""
    if inferred is None or not getattr(inferred, "spec", None):
        return None
    try:
        plan = inferred.plan()
        from lrtui.schedules.evaluate import evaluate

        markers = evaluate(plan, n=1).markers
    except Exception:  # the engine must never take a diagnosis down with it
        return None
    return end_marker(markers)


def end_marker(markers) -> float | None:
    ends = [m.step for m in markers if m.kind == "end"]
    if ends:
        return float(min(ends))
    return None


# ------------------------------------------------------------------------------------------- resume order
@dataclass(frozen=True)
class ResumeCheck:
    """After a resume at `step`: does the LR continue the plan, and which load order gives what was logged."""

    step: int
    ok: bool
    order: str  # the state-dict load order the observed curve corresponds to
    detail: str

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        return f"{mark} resume at step {self.step:,}: {self.detail}"

    def to_dict(self) -> dict:
        return {"step": self.step, "ok": self.ok, "order": self.order, "detail": self.detail}


RESUME_ORDERS = {
    "correct": "scheduler built, then optimizer.load_state_dict, then scheduler.load_state_dict",
    "scheduler_not_loaded": "scheduler state not loaded (a fresh scheduler counts from 0 again)",
    "one_ahead": "scheduler built with last_epoch=N (or stepped once after loading): one step ahead",
    "optimizer_first": "optimizer.load_state_dict before the scheduler was built (its constructor's first "
    "step re-applied to the restored LR), then scheduler.load_state_dict",
    "optimizer_not_loaded": "optimizer state not loaded (the LR restarts from the base), scheduler state loaded",
}


RESUME_FINDINGS = {
    # order -> (finding kind, title, fix)
    "scheduler_not_loaded": (
        "resume_restart",
        "the schedule started over at the resume: the scheduler's state was not loaded (warmup restarted)",
        "save scheduler.state_dict() with the checkpoint and call scheduler.load_state_dict() after building it",
    ),
    "one_ahead": (
        "resume_one_ahead",
        "after the resume the scheduler is one step ahead: it was built with last_epoch=N",
        "build the scheduler with the default last_epoch=-1, then scheduler.load_state_dict(checkpoint)",
    ),
    "optimizer_first": (
        "resume_optimizer_first",
        "after the resume the LR is off the plan for good: the optimizer state was loaded before the "
        "scheduler was built, whose first step re-applied itself to the restored LR",
        "build the scheduler first, then optimizer.load_state_dict(), then scheduler.load_state_dict()",
    ),
    "optimizer_not_loaded": (
        "resume_optimizer_not_loaded",
        "after the resume the LR restarted from the base LR: the optimizer state was not loaded",
        "call optimizer.load_state_dict() from the checkpoint as well (before scheduler.load_state_dict())",
    ),
}


def resume_finding(rc: ResumeCheck, logged_first: float, planned_first: float) -> Finding | None:
    """The Finding for a resume that does not continue the plan under a known load order."""
    if rc.ok or rc.order not in RESUME_FINDINGS:
        return None
    kind, title, fix = RESUME_FINDINGS[rc.order]
    return Finding(
        kind,
        f"{title} (step {rc.step:,})",
        f"load order: {RESUME_ORDERS[rc.order]}; step {rc.step:,}: {_vs(logged_first, planned_first)}",
        fix,
        first_step=rc.step,
        steps=(rc.step,),
        actual=logged_first,
        planned=planned_first,
    )


def resume_hypotheses(bound, ctx, planned: np.ndarray, step: int, horizon: int) -> dict[str, np.ndarray]:
    """The LR from `step` on under each load order (keys of RESUME_ORDERS), for one group.

    Exact for the catalogue's leaf kinds through their updates as torch makes them (`Kind.initial_ops`,
    `Kind.step_ops`, replayed by `lrtui.schedules.ops.replay`): the constructor's initial step applied to
    whatever LR the optimizer holds, later steps at the restored counter. Composites and loop patterns get
    the orders that need no replay.
    """
    n = max(0, min(horizon, planned.size) - step)
    out: dict[str, np.ndarray] = {}
    if n <= 0:
        return out
    ks = np.arange(step, step + n)
    out["correct"] = planned[ks]
    out["scheduler_not_loaded"] = planned[np.clip(ks - step, 0, planned.size - 1)]
    out["one_ahead"] = planned[np.clip(ks + 1, 0, planned.size - 1)]
    if bound is None or bound.kind.node_class is not None:
        return out
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.ops import replay

    kind, args, g = bound.kind, bound.args, ctx.n_groups

    def run(ops, lr: float) -> np.ndarray:  # group 0's lr after each update, from lr in every group
        return replay(ops, np.full(g, lr))[0]

    def from_lr(start: float) -> np.ndarray:
        first = run(kind.initial_ops(args, ctx, 0), start)[-1]
        rest = run(kind.step_ops(args, ctx, np.arange(step + 1, step + n)), first) if n > 1 else np.empty(0)
        return np.concatenate([[first], rest])

    with np.errstate(all="ignore"):
        try:
            out["optimizer_first"] = from_lr(float(planned[step]))
            out["optimizer_not_loaded"] = from_lr(float(ctx.base_lrs[0]))
            # built with last_epoch=N on the restored optimizer: the constructor's step (an initial step,
            # which some kinds make without moving the LR) at N+1, then plain steps
            lr = run(kind.initial_ops(args, ctx, step + 1), float(planned[step]))[-1]
            rest = (
                run(kind.step_ops(args, ctx, np.arange(step + 2, step + n + 1)), lr) if n > 1 else np.empty(0)
            )
        except SpecError:  # a configuration torch refuses at these counters: only the orders above
            return out
        out["one_ahead"] = np.concatenate([[lr], rest])
    return out


def check_resume(steps, logged, planned, step: int, *, bound=None, ctx=None) -> ResumeCheck | None:
    """Which load order explains the logged LR after a resume at `step` (the first step the resumed process
    logged)."""
    s = np.asarray(steps, dtype=np.int64)
    y = np.asarray(logged, dtype=np.float64)
    sel = (s >= step) & (s < planned.size) & np.isfinite(y)
    if sel.sum() < 2:
        return None
    ks, ys = s[sel], y[sel]
    scale = float(np.nanmax(np.abs(planned))) or 1.0
    horizon = int(ks[-1]) + 1
    hyps = resume_hypotheses(bound, ctx, planned, step, horizon)
    matches = []
    for name, curve in hyps.items():
        model = curve[ks - step]
        if np.all(close(ys, model, scale)):
            matches.append(name)
    a = float(ys[0])
    pl = float(planned[ks[0]])
    if "correct" in matches:
        return ResumeCheck(step, True, "correct", f"the LR continues the plan ({ks.size:,} steps checked)")
    if matches:
        name = matches[0]
        return ResumeCheck(step, False, name, f"{RESUME_ORDERS[name]} — step {int(ks[0]):,}: {_vs(a, pl)}")
    return ResumeCheck(
        step, False, "unknown", f"the LR does not continue the plan (step {int(ks[0]):,}: {_vs(a, pl)})"
    )
