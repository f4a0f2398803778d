"""The LR doctor: one report about a run's learning rate — the schedule it follows, and what went wrong.

    from lrtui.doctor import doctor_run, doctor_series
    report = doctor_run("~/.local/share/lrtui/runs/20261121-...")   # an lrtui run directory
    report = doctor_series(steps, [lr_group0, lr_group1], config=None)  # any logged series
    print(report.text()); report.to_dict()

With a declared plan (the run's config: schedule spec, base LR, stepping) the logged LR of every group is
checked against it (`lrtui.schedules.diagnose`), resumes included. Without one, the plan is inferred from
the log (`lrtui.schedules.infer`) — from the whole series, or, when the whole does not fit one schedule,
from its longest prefix that does, and the rest is checked against that.

Pure (numpy; no Textual, no torch): `lrtui doctor`, the monitor's doctor view and tests share it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrtui.schedules.diagnose import (
    Finding,
    PlanInfo,
    ResumeCheck,
    check_resume,
    diagnose_group,
    end_marker,
    format_pair,
    resume_finding,
)
from lrtui.schedules.infer import Inference, infer_groups, infer_schedule

MIN_PREFIX = 16  # points a prefix needs before a schedule inferred from it is trusted
MAX_SERIES_BYTES = 512 << 20


@dataclass
class DeclaredPlan:
    """The plan a run declared, evaluated: lr (groups, n) per optimizer step."""

    spec: str
    lr: np.ndarray
    base_lrs: tuple[float, ...]
    stepping: str
    steps_per_epoch: int
    total_steps: int
    end_step: float | None = None
    note: str = ""

    def info(self) -> PlanInfo:
        return PlanInfo(
            spec=self.spec,
            stepping=self.stepping,
            steps_per_epoch=self.steps_per_epoch,
            base_lrs=self.base_lrs,
            total_steps=self.total_steps,
            end_step=self.end_step,
        )


@dataclass
class DoctorReport:
    source: str
    points: int = 0
    groups: int = 0
    plan: DeclaredPlan | None = None
    plan_source: str = ""  # "declared" | "inferred" | "" (none)
    no_plan_reason: str = ""
    inferences: list[Inference] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    resumes: list[ResumeCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    compared: int = 0

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings) and all(r.ok for r in self.resumes)

    @property
    def inferred(self) -> Inference | None:
        return self.inferences[0] if self.inferences else None

    def verdict(self) -> str:
        """One line for the monitor's alarm and the CLI's first line."""
        if self.points == 0:
            return "no LR logged yet"
        errors = [f for f in self.findings if f.severity == "error"]
        bad_resumes = [r for r in self.resumes if not r.ok]
        if errors:
            first = errors[0]
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            return f"⚠ {first.line()}{more}"
        if bad_resumes:
            return f"⚠ {bad_resumes[0].line()}"
        if self.plan_source == "declared":
            return f"LR matches the plan ({self.compared:,} steps checked)"
        inf = self.inferred
        if inf is not None and inf.ok:
            return f"no declared plan — the log is {inf.title}: {inf.spec}"
        return f"no declared plan, and no catalogue schedule reproduces the log ({self.no_plan_reason})"

    def text(self) -> str:
        """The CLI report: verdict, schedule, findings with evidence and fix, resumes."""
        lines = [self.verdict(), ""]
        lines.append(f"source   {self.source}")
        lines.append(
            f"logged   {self.points:,} LR points"
            + (f", {self.groups} param groups" if self.groups > 1 else "")
        )
        if self.plan is not None:
            per = f", stepped per {self.plan.stepping}" if self.plan.stepping != "step" else ""
            spe = f", {self.plan.steps_per_epoch} steps/epoch" if self.plan.steps_per_epoch > 1 else ""
            base = ", ".join(f"{b:.6g}" for b in self.plan.base_lrs)
            lines.append(
                f"plan     ({self.plan_source}) {self.plan.spec or 'constant'} from base LR {base}{per}{spe}"
            )
        elif self.no_plan_reason:
            lines.append(f"plan     none: {self.no_plan_reason}")
        for g, inf in enumerate(self.inferences):
            label = "inferred" if g == 0 else f"group {g}"
            lines.append(f"{label:8s} {inf.summary()}")
            if inf.note and inf.ok:
                lines.append(f"         note: {inf.note}")
        for note in self.notes:
            lines.append(f"note     {note}")
        if self.findings:
            lines.append("")
            for f in self.findings:
                mark = "✗" if f.severity == "error" else "·"
                lines.append(f"{mark} {f.line()}")
                lines.append(f"    evidence: {f.evidence}")
                lines.append(f"    fix:      {f.fix}")
        if self.resumes:
            lines.append("")
            for r in self.resumes:
                lines.append(r.line())
                if not r.ok:
                    lines.append(f"    load order: {r.order}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        plan = None
        if self.plan is not None:
            plan = {
                "source": self.plan_source,
                "spec": self.plan.spec,
                "base_lrs": list(self.plan.base_lrs),
                "stepping": self.plan.stepping,
                "steps_per_epoch": self.plan.steps_per_epoch,
                "total_steps": self.plan.total_steps,
            }
        return {
            "source": self.source,
            "verdict": self.verdict(),
            "ok": self.ok,
            "points": self.points,
            "groups": self.groups,
            "plan": plan,
            "no_plan_reason": self.no_plan_reason or None,
            "inferred": [inf.to_dict() for inf in self.inferences],
            "findings": [f.to_dict() for f in self.findings],
            "resumes": [r.to_dict() for r in self.resumes],
            "notes": list(self.notes),
            "compared": self.compared,
        }

    def preview_plan(self, prefer: str = "inferred") -> dict | None:
        """A plan to open in the preview (plan-file form): the schedule inferred from the log (what the LR
        really followed) or the declared one, `prefer` first, the other when it is missing."""
        declared = None
        if self.plan is not None and self.plan_source == "declared" and self.plan.spec:
            lr: Any = self.plan.base_lrs[0] if len(self.plan.base_lrs) == 1 else list(self.plan.base_lrs)
            declared = {
                "schedule": self.plan.spec,
                "lr": lr,
                "steps": self.plan.total_steps,
                "steps_per_epoch": self.plan.steps_per_epoch,
                "stepping": self.plan.stepping,
            }
        inf = self.inferred
        inferred = inf.plan_dict() if inf is not None and inf.ok else None
        if inferred is not None and declared is not None:
            inferred["steps"] = max(inferred["steps"], declared["steps"])
        first, second = (inferred, declared) if prefer == "inferred" else (declared, inferred)
        return first if first is not None else second


# ------------------------------------------------------------------------------------------- declared plans
def declared_plan(
    config: dict, steps: np.ndarray, lrs: list[np.ndarray], steps_per_epoch: int | None = None
) -> tuple[DeclaredPlan | None, str]:
    """The run's declared plan evaluated over its horizon (and past the log), or (None, why not).

    A config without a base LR still gets a plan when it has a spec: the base is read off the log (the
    ratio of the logged to the planned LR at the first steps), and the report says so.
    """
    from lrtui.widgets.runs.model import planned_from_config

    groups = max(len(lrs), 1)
    last = int(steps[-1]) + 1 if steps.size else 0
    config = dict(config) if isinstance(config, dict) else {}
    schedule = config.get("schedule")
    if isinstance(schedule, dict) and steps_per_epoch and not schedule.get("steps_per_epoch"):
        config["schedule"] = {**schedule, "steps_per_epoch": int(steps_per_epoch)}
    planned = planned_from_config(config, logged_groups=groups, fallback_total=max(last, 1))
    note = ""
    if planned.lr is None and "base LR" in planned.reason and steps.size:
        # no base LR in the config: evaluate at base 1 and read the base off the log
        probe = dict(config)
        probe["optimizer"] = (
            {**(config.get("optimizer") or {}), "lr": 1.0}
            if isinstance(config.get("optimizer"), dict)
            else {"lr": 1.0}
        )
        unit = planned_from_config(probe, logged_groups=groups, fallback_total=max(last, 1))
        if unit.lr is not None:
            bases = []
            for g in range(min(groups, unit.lr.shape[0])):
                y = lrs[g] if g < len(lrs) else lrs[0]
                inside = (steps < unit.lr.shape[1]) & np.isfinite(y)
                p = unit.lr[g][steps[inside]]
                nz = np.abs(p) > 0
                if not nz.any():
                    break
                ratios = y[inside][nz][:64] / p[nz][:64]
                bases.append(float(np.median(ratios)))
            if bases and all(b > 0 for b in bases):
                probe["optimizer"]["lr"] = bases if len(bases) > 1 else bases[0]
                planned = planned_from_config(probe, logged_groups=groups, fallback_total=max(last, 1))
                note = "the config has no base LR: it was read off the log (so a wrong base LR cannot show)"
    if planned.lr is None:
        return None, planned.reason
    base = _base_of(config, planned)
    end = end_marker_steps(planned.markers)
    return (
        DeclaredPlan(
            spec=planned.spec,
            lr=planned.lr,
            base_lrs=base,
            stepping=planned.stepping,
            steps_per_epoch=planned.steps_per_epoch,
            total_steps=int(planned.total_steps or planned.lr.shape[1]),
            end_step=end,
            note=note,
        ),
        "",
    )


def _base_of(config: dict, planned) -> tuple[float, ...]:
    # the plan's first value per group is base × λ(0); the config's number is what was declared
    optimizer = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    schedule = config.get("schedule") if isinstance(config.get("schedule"), dict) else {}
    for value in (schedule.get("base_lrs"), optimizer.get("lr"), config.get("lr")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (float(value),)
        if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
            return tuple(float(v) for v in value)
    return tuple(float(row[0]) for row in planned.lr)


def end_marker_steps(markers: list) -> float | None:
    ends = [step for step, kind, _label in markers if kind == "end"]
    return float(min(ends)) if ends else None


# ------------------------------------------------------------------------------------------- the report
def doctor_series(
    steps,
    lrs,
    *,
    config: dict | None = None,
    resumed_at: list[int] | tuple[int, ...] = (),
    steps_per_epoch: int | None = None,
    source: str = "series",
    no_plan: str = "the run declares no schedule",
) -> DoctorReport:
    """The report for logged LRs: `lrs` is one array per param group (or one array), at `steps`."""
    k = np.asarray(steps, dtype=np.float64).reshape(-1)
    groups = [np.asarray(g, dtype=np.float64).reshape(-1) for g in _as_groups(lrs)]
    report = DoctorReport(source=source, groups=len(groups))
    keep = np.isfinite(k)
    k = k[keep]
    groups = [g[keep] if g.size == keep.size else g for g in groups]
    if k.size == 0 or not groups:
        report.no_plan_reason = "no LR logged"
        return report
    if np.any(np.diff(k) <= 0):  # sorted, newest value wins per step
        order = np.argsort(k, kind="stable")
        k = k[order]
        groups = [g[order] for g in groups]
        last = np.append(k[1:] != k[:-1], True)
        k = k[last]
        groups = [g[last] for g in groups]
    report.points = int(k.size)
    schedule = config.get("schedule") if isinstance(config, dict) else None
    if isinstance(schedule, dict) and schedule.get("exact") is False and schedule.get("reason"):
        # RunLogger(scheduler=...) could not spell the object: say which, and why
        report.notes.append(f"{schedule.get('class', 'the scheduler')}: {schedule['reason']}")
    spe = _positive_int(steps_per_epoch) or _spe_from_config(config)
    prefer = _library_of(config)
    report.inferences = infer_groups(k, groups, steps_per_epoch=spe, prefer=prefer)
    si = k.astype(np.int64)
    plan, reason = (None, no_plan)
    if config:
        plan, reason = declared_plan(config, si, groups, spe)
    if plan is not None:
        report.plan, report.plan_source = plan, "declared"
        if plan.note:
            report.notes.append(plan.note)
        _check_against(report, si, groups, plan, resumed_at, config)
        report.findings.extend(plan_lints(plan))
        return report
    report.no_plan_reason = reason
    inferred_plan = _plan_from_inference(report, si, groups, resumed_at, spe, prefer)
    if inferred_plan is not None:
        report.plan, report.plan_source = inferred_plan, "inferred"
        _check_against(report, si, groups, inferred_plan, resumed_at, None)
    return report


# lints of a declared plan that are about the run rather than the spec: a plan can be followed exactly and
# still be wrong for the run (a cosine sized in steps but stepped per epoch never finishes)
RUN_LINTS = (
    "cosine_cut_short",
    "cosine_rises_after_t_max",
    "t_max_ignores_warmup",
    "onecycle_stepped_per_epoch",
    "onecycle_past_total",
    "onecycle_too_long",
    "never_decays",
    "milestone_mismatch",
    "milestone_jump",
    "timm_t_in_updates_per_epoch",
)


def plan_lints(plan: DeclaredPlan) -> list[Finding]:
    """The engine's lints of the declared plan over the run's horizon, as findings ("plan" kinds)."""
    if not plan.spec:
        return []
    try:
        from lrtui.schedules import Plan, parse
        from lrtui.schedules.lint import lint

        p = Plan(
            spec=parse(plan.spec),
            base_lrs=plan.base_lrs,
            total_steps=max(plan.total_steps, 1),
            steps_per_epoch=plan.steps_per_epoch,
            stepping=plan.stepping,
        )
        found = lint(p)
    except Exception:  # lints are advice: never let one take the report down
        return []
    out = []
    for item in found:
        if item.code not in RUN_LINTS and item.severity != "error":
            continue
        out.append(
            Finding(
                f"plan:{item.code}",
                f"the plan itself: {item.message}",
                f"the declared plan {plan.spec} over {plan.total_steps:,} optimizer steps",
                item.fix,
                first_step=int(item.step) if item.step is not None else None,
                severity="error" if item.severity == "error" else "info",
            )
        )
    return out


def _check_against(report, si, groups, plan: DeclaredPlan, resumed_at, config) -> None:
    from lrtui.schedules import Plan, parse, resolve

    info = plan.info()
    bound, ctx = None, None
    if plan.spec:
        try:
            p = Plan(
                spec=parse(plan.spec),
                base_lrs=plan.base_lrs if len(plan.base_lrs) else (0.1,),
                total_steps=max(plan.total_steps, 1),
                steps_per_epoch=plan.steps_per_epoch,
                stepping=plan.stepping,
            )
            ctx = p.context()
            bound = resolve(p.spec, ctx) if plan.stepping == "step" else None
        except Exception:  # a spec the engine evaluated once cannot fail here; be safe anyway
            bound, ctx = None, None
    per_group = []
    for g, y in enumerate(groups):
        row = plan.lr[min(g, plan.lr.shape[0] - 1)]
        inf = report.inferences[g] if g < len(report.inferences) else None
        check = diagnose_group(si, y, row, plan=info, resumes=tuple(resumed_at), group=g, inferred=inf)
        report.compared = max(report.compared, check.compared)
        per_group.append(check)
    if len(groups) > 1:
        bad = [g for g, c in enumerate(per_group) if not c.ok]
        if bad and len(bad) < len(groups):
            good = [g for g in range(len(groups)) if g not in bad]
            first = per_group[bad[0]].findings[0]
            report.findings.append(
                Finding(
                    "group_mismatch",
                    f"param group(s) {', '.join(map(str, bad))} differ from the plan while "
                    f"{', '.join(map(str, good))} follow it",
                    f"group {bad[0]}: {first.evidence}",
                    "build the scheduler after every param group is in the optimizer, with one lr per group "
                    "(lists for per-group values)",
                    first_step=first.first_step,
                    group=bad[0],
                    actual=first.actual,
                    planned=first.planned,
                )
            )
    for check in per_group:
        report.findings.extend(check.findings)
    if plan.stepping == "step":
        for r in resumed_at:
            rc = check_resume(si, groups[0], plan.lr[0], int(r), bound=bound, ctx=ctx)
            if rc is None:
                continue
            report.resumes.append(rc)
            j = int(np.searchsorted(si, rc.step))
            if rc.ok or j >= si.size or rc.step >= plan.lr.shape[1]:
                continue
            found = resume_finding(rc, float(groups[0][j]), float(plan.lr[0][rc.step]))
            if found is None:
                continue
            # the resume explains what diverged from it on: say that instead of a guess
            report.findings = [
                f
                for f in report.findings
                if not (
                    f.group == 0 and (f.first_step or 0) >= rc.step - 1 and f.kind in _EXPLAINED_BY_RESUME
                )
            ]
            if found.kind not in {f.kind for f in report.findings}:
                report.findings.append(found)


_EXPLAINED_BY_RESUME = (
    "wrong_total",
    "other",
    "jump",
    "resume_jump",
    "amp_skips",
    "resume_one_ahead",
    "scaled",
)


def _plan_from_inference(report, si, groups, resumed_at, spe, prefer) -> DeclaredPlan | None:
    """The inferred plan: from the whole log, else from its longest prefix a schedule reproduces (the rest
    is then what went wrong: a resume, skipped steps, a change of schedule)."""
    inf = report.inferences[0] if report.inferences else None
    k = si.astype(np.float64)
    y = groups[0]
    if inf is None or not inf.ok:
        inf = None
        cuts = sorted({int(np.searchsorted(si, r)) for r in resumed_at if r > si[0]})
        n = si.size
        cuts += [n // 2, n // 4, n // 8, n // 16]
        for cut in sorted(set(c for c in cuts if c >= MIN_PREFIX), reverse=True):
            cand = infer_schedule(k[:cut], y[:cut], steps_per_epoch=spe, prefer=prefer)
            if cand.ok and cand.confidence >= 0.85:
                inf = cand
                report.notes.append(
                    f"the first {cut:,} logged points are {cand.title} ({cand.spec}); the rest is checked "
                    "against it"
                )
                break
    if inf is None:
        if report.inferences and report.inferences[0].note:
            report.no_plan_reason += f"; {report.inferences[0].note}"
        return None
    horizon = max(int(si[-1]) + 1, inf.total_steps)
    from lrtui.schedules.infer import MAX_EVAL_STEPS

    if horizon > MAX_EVAL_STEPS:
        report.notes.append(f"steps up to {horizon:,}: too long to check against an inferred plan")
        return None
    try:
        from lrtui.schedules import Plan, evaluate, parse

        bases = list(inf.base_lrs)
        for g in range(1, len(groups)):
            other = report.inferences[g] if g < len(report.inferences) else None
            bases.append(
                other.base_lrs[0] if other is not None and other.ok and other.spec == inf.spec else bases[0]
            )
        plan = Plan(
            spec=parse(inf.spec),
            base_lrs=tuple(bases),
            total_steps=horizon,
            steps_per_epoch=inf.steps_per_epoch,
            stepping=inf.stepping,
        )
        curve = evaluate(plan)
    except Exception:
        return None
    return DeclaredPlan(
        spec=inf.spec,
        lr=curve.lr,
        base_lrs=tuple(bases),
        stepping=inf.stepping,
        steps_per_epoch=inf.steps_per_epoch,
        total_steps=horizon,
        end_step=end_marker(curve.markers),
    )


def _as_groups(lrs) -> list:
    if isinstance(lrs, np.ndarray):
        return [lrs] if lrs.ndim == 1 else list(lrs)
    if isinstance(lrs, (list, tuple)) and lrs and isinstance(lrs[0], (list, tuple, np.ndarray)):
        return list(lrs)
    return [lrs]


def _positive_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)) and v >= 1 and float(v).is_integer():
        return int(v)
    return None


def _spe_from_config(config: dict | None) -> int | None:
    if not isinstance(config, dict):
        return None
    schedule = config.get("schedule")
    if isinstance(schedule, dict):
        return _positive_int(schedule.get("steps_per_epoch"))
    return None


def _library_of(config: dict | None) -> str | None:
    from lrtui.runs.listing import schedule_spec

    spec = schedule_spec(config) if isinstance(config, dict) else None
    if not spec:
        return None
    from lrtui.schedules import SpecError, get_kind, parse

    try:
        kind = get_kind(parse(spec).kind)
    except SpecError:
        return None
    return kind.library if kind is not None else None


def spe_from_epoch_series(steps, epochs) -> int | None:
    """Steps per epoch from a logged epoch series, when the points pin it to one integer (else None).

    Whole epochs (lrtui's `epoch` column, Lightning's): step k of epoch e has e·spe ≤ k < (e+1)·spe, so every
    point bounds spe; sparse logs often leave a range, and then it is not guessed. Fractional epochs (HF
    Trainer logs epoch = global_step / steps per epoch, rounded): the nearest integer that explains them all.
    """
    k = np.asarray(steps, dtype=np.float64).reshape(-1)
    e = np.asarray(epochs, dtype=np.float64).reshape(-1)
    if k.size != e.size:
        return None
    keep = np.isfinite(k) & np.isfinite(e) & (e >= 0) & (k >= 0)
    k, e = k[keep], e[keep]
    if k.size < 2 or not np.any(e > 0):
        return None
    if np.all(e == np.round(e)):
        low = float(np.max(np.floor(k / (e + 1)) + 1))  # spe > k / (e + 1)
        pos = e > 0
        high = float(np.min(np.floor(k[pos] / e[pos])))  # spe ≤ k / e
        return int(low) if low == high and low >= 1 else None
    pos = e > 0
    spe = round(float(np.median(k[pos] / e[pos])))
    if spe < 1 or not np.allclose(k[pos] / spe, e[pos], rtol=0, atol=0.01):
        return None
    return int(spe)


def _spe_from_epoch_records(records: list[dict]) -> int | None:
    """Steps per epoch from `run.epoch(...)` records (each carries the last step of its epoch), when every
    epoch has the same length: what a plain loop that never names its epoch length still tells."""
    ends = [r.get("step") for r in records]
    ends = [int(e) for e in ends if isinstance(e, (int, float)) and not isinstance(e, bool) and e >= 0]
    if len(ends) < 2:
        return None
    lengths = {b - a for a, b in itertools.pairwise(ends)}
    if len(lengths) != 1:
        return None
    spe = lengths.pop()
    return spe if spe >= 2 and ends[0] + 1 == spe else None


# ------------------------------------------------------------------------------------------- runs and files
def doctor_run(run_dir: str | Path) -> DoctorReport:
    """The report for an lrtui run directory (config, metrics, resumes)."""
    return doctor_run_data(run_dir)[0]


def doctor_run_data(
    run_dir: str | Path, *, config: dict | None = None, steps_per_epoch: int | None = None
) -> tuple[DoctorReport, np.ndarray, list[np.ndarray]]:
    """(report, logged steps, logged LR per group) of an lrtui run directory: the doctor view draws both.
    `config`/`steps_per_epoch` replace the run's own (`lrtui doctor RUN --spec ...`)."""
    from lrtui.runs.reader import read_run

    run = read_run(run_dir)
    data = run.data
    config = run.config if config is None else config
    steps = np.frombuffer(data.steps, dtype=np.int64).astype(np.float64) if len(data.steps) else np.empty(0)
    lrs = [np.frombuffer(col, dtype=np.float64).copy() for col in data.lr]
    epochs = np.frombuffer(data.epoch, dtype=np.float64) if len(data.epoch) else np.empty(0)
    spe = (
        _positive_int(steps_per_epoch)
        or _spe_from_config(config)
        or spe_from_epoch_series(steps, epochs)
        or _spe_from_epoch_records(data.epochs)
    )
    report = doctor_series(
        steps,
        lrs or [np.empty(0)],
        config=config,
        resumed_at=list(data.resumed_at),
        steps_per_epoch=spe,
        source=str(run.dir),
    )
    if run.config_error:
        report.notes.append(f"config.json: {run.config_error}")
    return report, steps, lrs


# The step a format logs an LR at, minus the schedule's step (the optimizer steps done before that LR), as
# candidates tried in order: transformers' Trainer logs, at global_step s, the LR update s used (the
# schedule's step s − 1) since it reads the LR before the scheduler steps (older versions read it after),
# and its TensorBoard callback writes the same; a plain SummaryWriter loop logs the step it is at.
LOG_STEP_OFFSETS: dict[str, tuple[int, ...]] = {"hf-trainer": (1, 0), "tensorboard": (0, 1)}
SURE = 0.9  # an inference this confident ends the search over offsets


def infer_with_offsets(steps, lr, offsets: tuple[int, ...] = (0,), **options) -> tuple[Inference, int]:
    """The inference of the first offset whose shifted steps give a sure schedule (else the most confident
    one), and that offset."""
    k = np.asarray(steps, dtype=np.float64)
    best: tuple[Inference, int] | None = None
    for off in offsets:
        inf = infer_schedule(k - off, lr, **options)
        if best is None or (inf.ok and (not best[0].ok or inf.confidence > best[0].confidence)):
            best = (inf, off)
        if inf.ok and inf.confidence >= SURE:
            break
    assert best is not None
    return best


def doctor_path(
    path: str | Path, fmt: str, *, config: dict | None = None, steps_per_epoch: int | None = None
) -> tuple[DoctorReport, np.ndarray, list[np.ndarray]]:
    """(report, steps, LR per group) of a run in any format `lrtui.sources` reads (an lrtui run keeps its
    own reading: config, resumes, epoch records). `config`: a plan to check against instead."""
    if fmt == "lrtui":
        return doctor_run_data(path, config=config, steps_per_epoch=steps_per_epoch)
    from lrtui.sources import open_source

    return doctor_source(open_source(path, fmt).read_all(), config=config, steps_per_epoch=steps_per_epoch)


def doctor_source(
    source: Any, *, config: dict | None = None, steps_per_epoch: int | None = None
) -> tuple[DoctorReport, np.ndarray, list[np.ndarray]]:
    """(report, steps, LR per group) of a foreign log read by `lrtui.sources` (TensorBoard, Lightning CSV,
    HF trainer_state.json): its LR series (one per param group, named as the libraries name them) against
    the schedule inferred from them — such a log declares no plan. Steps are the writer's global step: the
    optimizer steps done before that LR, the schedule's own step."""
    from lrtui.sources import assign_roles

    store = source.store
    roles = assign_roles(sorted(store.series))
    label = f"{source.format_label} {source.path}"
    series = [store.series[name] for name in roles.lr]
    if not series:
        report = DoctorReport(source=label)
        report.no_plan_reason = f"no LR series among the {len(store.series)} metrics logged"
        return report, np.empty(0), []
    steps = series[0].steps.astype(np.float64)
    lrs = [series[0].values.astype(np.float64)]
    for other in series[1:]:  # each group on the first group's steps (nan where it has none)
        at = np.full(steps.size, np.nan)
        idx = np.searchsorted(other.steps, series[0].steps)
        inside = idx < other.steps.size
        hit = np.zeros(steps.size, dtype=bool)
        hit[inside] = other.steps[idx[inside]] == series[0].steps[inside]
        at[hit] = other.values[idx[hit]]
        lrs.append(at)
    spe = _positive_int(steps_per_epoch)
    for name in () if spe else ("epoch", "train/epoch"):
        epoch = store.series.get(name)
        if epoch is not None and len(epoch):
            spe = spe_from_epoch_series(epoch.steps, epoch.values)
            break
    offsets = LOG_STEP_OFFSETS.get(source.format, (0,))
    _inf, off = infer_with_offsets(steps, lrs[0], offsets, steps_per_epoch=spe)
    steps = steps - off
    report = doctor_series(
        steps,
        lrs,
        config=config,
        steps_per_epoch=spe,
        source=label,
        no_plan=f"a {source.format_label} log declares no schedule",
    )
    names = ", ".join(roles.lr[:4]) + (", ..." if len(roles.lr) > 4 else "")
    report.notes.insert(0, f"LR read from {names}")
    if off:
        report.notes.insert(
            1,
            f"the LR logged at step s is the one update s-{off} used (as transformers' Trainer logs it): "
            f"shown at s-{off}",
        )
    if source.skipped:
        report.notes.append(f"{source.skipped:,} record(s) skipped: {'; '.join(list(source.problems)[-2:])}")
    return report, steps, lrs


def read_series_file(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """(steps, [lr per group]) from a CSV/TSV with a header (`lrtui plot --csv` writes one): a column
    named step/iteration/global_step (else the row number) and lr columns (lr, lr_g1, learning_rate, ...).

    Raises ValueError with a one-line message naming the file and what is allowed.
    """
    import csv

    p = Path(path)
    try:
        if p.stat().st_size > MAX_SERIES_BYTES:
            raise ValueError(
                f"{p}: larger than {MAX_SERIES_BYTES >> 20} MiB; allowed: a CSV of steps and LRs"
            )
        with open(p, newline="", encoding="utf-8", errors="replace") as f:
            head = f.readline()
            f.seek(0)
            delimiter = next((d for d in ("\t", ",", ";") if d in head), " ")
            rows = list(csv.reader(f, delimiter=delimiter, skipinitialspace=True))
    except OSError as exc:
        raise ValueError(f"{p}: cannot read it ({exc.strerror})") from None
    if len(rows) < 2:
        raise ValueError(f"{p}: expected a header row and LR rows (CSV with step and lr columns)")
    header = [h.strip().lower() for h in rows[0]]
    step_col = next(
        (i for i, h in enumerate(header) if h in ("step", "steps", "iteration", "global_step", "k")), None
    )
    lr_cols = [
        i
        for i, h in enumerate(header)
        if h == "lr" or h.startswith(("lr_", "lr-", "lr/")) or "learning_rate" in h
    ]
    if not lr_cols:
        raise ValueError(
            f"{p}: no LR column in the header {rows[0][:8]!r}; allowed: lr, lr_g1..., learning_rate"
        )
    steps, cols = [], [[] for _ in lr_cols]
    for r, row in enumerate(rows[1:]):
        try:
            s = float(row[step_col]) if step_col is not None else float(r)
            vals = [float(row[i]) if row[i].strip() else math.nan for i in lr_cols]
        except (ValueError, IndexError):
            continue
        steps.append(s)
        for c, v in zip(cols, vals):
            c.append(v)
    if not steps:
        raise ValueError(f"{p}: no numeric rows under the header")
    return np.asarray(steps), [np.asarray(c) for c in cols]


def format_alarm(actual: float, planned: float) -> str:
    a, b = format_pair(actual, planned)
    return f"logged {a} vs planned {b}"
