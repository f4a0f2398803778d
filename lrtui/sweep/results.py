"""A sweep's results: per schedule, mean ± std over finished repeats, a ranking with noise verdicts, export.

Stdlib only. Reads every member run with lrtui.runs.reader (so resumed runs count their epochs once) and
computes, per finished run: final and best test accuracy, final and best (lowest) test loss. Only finished
runs enter the statistics — a run still training, stopped half way or diverged would bias the mean — and the
counts of the others are reported next to them. Statistics: lrtui.sweep.stats (Welch's t vs the top one).

Exports: CSV (fractions and raw numbers, one row per schedule, ranked), Markdown (percentages, a footnote
stating the test), and an aligned text table for the terminal. `schedule_lines` is the cheap one-line-per-
schedule summary `lrtui runs` prints (status files only, no metrics read).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrtui.sweep.group import Group, MemberState, member_states
from lrtui.sweep.stats import ALPHA, Ranked, Summary, format_p, noise_note, rank, summarize

# key: (title, epoch-record field, reduce over epochs, higher is better)
METRICS: dict[str, tuple[str, str, Callable[[list[float]], float], bool]] = {
    "final_acc": ("final test acc", "test_acc", lambda v: v[-1], True),
    "best_acc": ("best test acc", "test_acc", max, True),
    "final_loss": ("final test loss", "test_loss", lambda v: v[-1], False),
    "best_loss": ("best test loss", "test_loss", min, False),
}
METRIC_KEYS = tuple(METRICS)


def _finite(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def epoch_values(epochs: list[dict], field_name: str) -> list[float]:
    return [v for v in (_finite(e.get(field_name)) for e in epochs) if v is not None]


def member_metrics(epochs: list[dict]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, (_title, field_name, reduce, _hib) in METRICS.items():
        values = epoch_values(epochs, field_name)
        out[key] = reduce(values) if values else None
    return out


@dataclass
class MemberData:
    state: MemberState
    run: Any = None  # lrtui.runs.reader.Run once its directory exists

    @property
    def epochs(self) -> list[dict]:
        return self.run.data.epochs if self.run is not None else []


@dataclass
class GroupData:
    group: Group
    members: list[MemberData]


def load_group(group: Group, now: float | None = None) -> GroupData:
    """Every member's state and, where its directory exists, its whole run (epochs, steps)."""
    from lrtui.runs.reader import read_run

    out = []
    for state in member_states(group, now):
        run_dir = group.run_dir(state.member)
        out.append(MemberData(state, read_run(run_dir, now) if state.summary is not None else None))
    return GroupData(group, out)


@dataclass
class ScheduleResult:
    index: int  # 0-based position in the plan ("#index+1" in the views)
    label: str
    spec: str
    lr: float | None
    stepping: str | None
    reported: str | None  # what the article reports (preset experiments)
    runs: int  # members planned
    states: dict[str, int]  # member state -> count
    values: dict[str, list[float]] = field(default_factory=dict)  # metric -> finished members' values
    summaries: dict[str, Summary] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.states.get("finished", 0)

    def state_note(self) -> str:
        """'1 running, 1 diverged' (members that are not in the statistics)."""
        parts = [f"{n} {s}" for s, n in sorted(self.states.items()) if s != "finished" and n]
        return ", ".join(parts)


@dataclass
class Results:
    group: Group
    metric: str
    schedules: list[ScheduleResult]
    ranking: list[Ranked]
    note: str
    alpha: float = ALPHA

    @property
    def complete(self) -> bool:
        return all(s.finished == s.runs for s in self.schedules)


def _reported(group: Group) -> dict[str, str]:
    from lrtui.schedules.presets import get_experiment

    exp = get_experiment(group.preset) if group.preset else None
    return dict(exp.reported) if exp is not None else {}


def schedule_settings(group: Group, index: int) -> tuple[float | None, str | None]:
    """(base LR, stepping) schedule `index` trains with: from its members' resolved config (one source)."""
    from lrtui.training.config import ConfigError

    member = next((m for m in group.members if m.schedule == index), None)
    if member is None:
        return None, None
    try:
        config = group.member_config(member)
    except (ConfigError, ValueError, TypeError):  # a hand-edited group.json: show what can be shown
        return _finite(group.schedules[index].get("lr")), group.schedules[index].get("stepping")
    return config["optimizer"]["lr"], config["schedule"]["stepping"]


def compute(data: GroupData, metric: str = "final_acc", alpha: float = ALPHA) -> Results:
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not allowed: one of {', '.join(METRIC_KEYS)}")
    group = data.group
    reported = _reported(group)
    out = []
    for index, s in enumerate(group.schedules):
        lr, stepping = schedule_settings(group, index)
        out.append(
            ScheduleResult(
                index=index,
                label=group.schedule_label(index),
                spec=s.get("spec") or "",
                lr=lr,
                stepping=stepping,
                reported=reported.get(s.get("preset") or ""),
                runs=0,
                states={},
                values={k: [] for k in METRICS},
            )
        )
    for m in data.members:
        r = out[m.state.member.schedule]
        r.runs += 1
        r.states[m.state.state] = r.states.get(m.state.state, 0) + 1
        if m.state.state != "finished":
            continue
        for key, value in member_metrics(m.epochs).items():
            if value is not None:
                r.values[key].append(value)
    for r in out:
        r.summaries = {k: summarize(v) for k, v in r.values.items()}
    ranking = rank([r.summaries[metric] for r in out], higher_is_better=METRICS[metric][3], alpha=alpha)
    note = noise_note([r.summaries[metric].n for r in out], alpha)
    return Results(group, metric, out, ranking, note, alpha)


# ------------------------------------------------------------------------------------------ formatting
def is_accuracy(metric: str) -> bool:
    return METRICS[metric][1] == "test_acc"


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.2f}%" if is_accuracy(metric) else f"{value:.4g}"


def format_summary(metric: str, s: Summary) -> str:
    """'81.23 ± 0.41%' / '0.6123 ± 0.0102' / '81.23%' (one repeat) / '—'."""
    if s.mean is None:
        return "—"
    if is_accuracy(metric):
        return f"{100 * s.mean:.2f}%" if s.std is None else f"{100 * s.mean:.2f} ± {100 * s.std:.2f}%"
    return f"{s.mean:.4g}" if s.std is None else f"{s.mean:.4g} ± {s.std:.2g}"


def format_diff(metric: str, ranked: Ranked) -> str:
    d = ranked.diff
    if d is None or ranked.verdict == "best":
        return "—"
    return f"{100 * d:+.2f} pp" if is_accuracy(metric) else f"{d:+.4g}"


def format_verdict(ranked: Ranked) -> str:
    """'best', '≈ within noise (p=0.41)', '< worse (p=0.003)', 'untested (n<2)', 'no data'."""
    if ranked.verdict == "within noise":
        return f"≈ within noise (p={format_p(ranked.vs_best.p)})"
    if ranked.verdict == "worse":
        return f"< worse (p={format_p(ranked.vs_best.p)})"
    if ranked.verdict == "untested":
        return "untested (n<2)"
    return ranked.verdict


def ranked_rows(res: Results) -> list[tuple[Ranked, ScheduleResult]]:
    return [(r, res.schedules[r.key]) for r in res.ranking]


TABLE_HEADER = (
    "rank",
    "#",
    "schedule",
    "lr",
    "n",
    "final acc",
    "best acc",
    "final loss",
    "best loss",
    "Δ vs #1",
    "verdict",
)


def table_rows(res: Results) -> list[tuple[str, ...]]:
    rows = []
    for ranked, s in ranked_rows(res):
        n = f"{s.finished}/{s.runs}"
        rows.append(
            (
                str(ranked.rank),
                f"#{s.index + 1}",
                s.label,
                "—" if s.lr is None else f"{s.lr:g}",
                n,
                *(format_summary(k, s.summaries[k]) for k in METRIC_KEYS),
                format_diff(res.metric, ranked),
                format_verdict(ranked) + (f"; {s.state_note()}" if s.state_note() else ""),
            )
        )
    return rows


def footnote(res: Results) -> str:
    title = METRICS[res.metric][0]
    return (
        f"Ranked by mean {title} over finished repeats; ± is the sample standard deviation (n-1). " + res.note
    )


def to_markdown(res: Results) -> str:
    header = list(TABLE_HEADER)
    with_article = any(s.reported for s in res.schedules)
    if with_article:
        header.append("article")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (_ranked, s), row in zip(ranked_rows(res), table_rows(res)):
        cells = [c.replace("|", "\\|") for c in row]
        if with_article:
            cells.append((s.reported or "").replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    g = res.group
    title = f"**{g.name}** ({g.id}): {len(g.schedules)} schedules × {g.repeats} repeats"
    return "\n".join([title, "", *lines, "", footnote(res), ""])


def to_text(res: Results, width: int = 200) -> str:
    rows = [TABLE_HEADER, *table_rows(res)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    articles = [(s.label, s.reported) for s in res.schedules if s.reported]
    if articles:
        lines.append("")
        lines += [f"article, {label}: {text}" for label, text in articles]
    lines += ["", footnote(res)]
    return "\n".join(lines) + "\n"


def to_json(res: Results) -> str:
    import json

    rows = []
    for ranked, s in ranked_rows(res):
        test = ranked.vs_best
        rows.append(
            {
                "rank": ranked.rank,
                "number": s.index + 1,
                "label": s.label,
                "spec": s.spec,
                "lr": s.lr,
                "stepping": s.stepping,
                "finished": s.finished,
                "runs": s.runs,
                "states": s.states,
                "values": s.values,
                "summaries": {
                    k: {"n": v.n, "mean": v.mean, "std": v.std, "ci95": [v.ci_low, v.ci_high]}
                    for k, v in s.summaries.items()
                },
                "vs_best": None
                if test is None
                else {"diff": test.diff, "t": _json_num(test.t), "df": _json_num(test.df), "p": test.p},
                "verdict": ranked.verdict,
                "reported": s.reported,
            }
        )
    doc = {
        "group": res.group.id,
        "name": res.group.name,
        "ranked_by": res.metric,
        "alpha": res.alpha,
        "test": "Welch's t-test vs the top schedule, two-sided",
        "note": res.note,
        "schedules": rows,
    }
    return json.dumps(doc, indent=2) + "\n"


def _json_num(value: float) -> float | None:
    return value if math.isfinite(value) else None


CSV_COLUMNS = (
    ["rank", "number", "label", "spec", "lr", "stepping", "finished", "runs"]
    + [f"{k}_{stat}" for k in METRIC_KEYS for stat in ("mean", "std")]
    + [
        "ranked_by",
        "ci95_low",
        "ci95_high",
        "diff_vs_best",
        "welch_t",
        "welch_df",
        "p_vs_best",
        "verdict",
        "other_states",
        "reported",
    ]
)


def _num(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else repr(float(value))


def to_csv(res: Results) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ranked, s in ranked_rows(res):
        stats = []
        for k in METRIC_KEYS:
            stats += [_num(s.summaries[k].mean), _num(s.summaries[k].std)]
        test = ranked.vs_best
        ranked_summary = s.summaries[res.metric]
        writer.writerow(
            [
                ranked.rank,
                s.index + 1,
                s.label,
                s.spec,
                _num(s.lr),
                s.stepping or "",
                s.finished,
                s.runs,
                *stats,
                res.metric,
                _num(ranked_summary.ci_low),
                _num(ranked_summary.ci_high),
                _num(ranked.diff if ranked.verdict != "best" else None),
                _num(test.t if test else None),
                _num(test.df if test else None),
                _num(test.p if test else None),
                ranked.verdict,
                s.state_note(),
                s.reported or "",
            ]
        )
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ one-liners
def schedule_lines(group: Group, states: list[MemberState] | None = None) -> list[str]:
    """One line per schedule from status files only: 'steplr (lr 0.01)  2/2 done  final 81.2 ± 0.4%  best ...'."""
    states = member_states(group) if states is None else states
    out = []
    for index in range(len(group.schedules)):
        mine = [s for s in states if s.member.schedule == index]
        done = [s for s in mine if s.state == "finished" and s.summary is not None]
        final = summarize([s.summary.last_test_acc for s in done])
        best = summarize([s.summary.best_test_acc for s in done])
        lr = _finite(group.schedules[index].get("lr"))
        head = group.schedule_label(index) + (f" (lr {lr:g})" if lr is not None else "")
        others = {}
        for s in mine:
            if s.state != "finished":
                others[s.state] = others.get(s.state, 0) + 1
        tail = "".join(f", {n} {state}" for state, n in sorted(others.items()))
        out.append(
            f"{head}  {len(done)}/{len(mine)} done{tail}  final {format_summary('final_acc', final)}"
            f"  best {format_summary('best_acc', best)}"
        )
    return out


RESULTS_CSV = "results.csv"
RESULTS_MD = "results.md"


def export_files(res: Results) -> list:
    """Write results.csv and results.md into the group directory (each replaced atomically); their paths."""
    import os
    import secrets

    paths = []
    for name, text in ((RESULTS_CSV, to_csv(res)), (RESULTS_MD, to_markdown(res))):
        path = res.group.dir / name
        tmp = path.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths
