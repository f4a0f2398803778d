"""Results of the recorded groups: numbers recomputed by hand from the runs' own epoch records, exports, CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest

from lrtui.cli import main
from lrtui.runs import read_run
from lrtui.sweep.group import read_group
from lrtui.sweep.results import (
    CSV_COLUMNS,
    compute,
    export_files,
    load_group,
    schedule_lines,
    to_csv,
    to_markdown,
)

from .conftest import DEMO, PLAIN, SEED001


def _by_hand(group, schedule: int, key: str, reduce) -> list[float]:
    values = []
    for m in group.members:
        if m.schedule == schedule:
            epochs = read_run(group.run_dir(m)).data.epochs
            values.append(reduce([e[key] for e in epochs]))
    return values


def test_demo_results_match_the_epoch_records(fixture_runs):
    group = read_group(fixture_runs / DEMO)
    res = compute(load_group(group))
    assert res.complete
    for s in res.schedules:
        finals = _by_hand(group, s.index, "test_acc", lambda v: v[-1])
        mean = sum(finals) / 2
        std = math.sqrt(sum((x - mean) ** 2 for x in finals))  # n-1 = 1
        assert s.summaries["final_acc"].mean == pytest.approx(mean)
        assert s.summaries["final_acc"].std == pytest.approx(std)
        assert s.summaries["best_loss"].mean == pytest.approx(
            sum(_by_hand(group, s.index, "test_loss", min)) / 2
        )
    ranked = [(r.key, r.verdict) for r in res.ranking]
    # StepLR and cosine are 0.1 pp apart with stds of 0.2-1.9 pp; ExponentialLR is 9 pp behind
    assert ranked == [(0, "best"), (2, "within noise"), (1, "worse")]


def test_only_finished_runs_enter_the_statistics(fixture_runs):
    group = read_group(fixture_runs / SEED001)
    res = compute(load_group(group, now=1_763_719_200.0 + 3 * 3600.0))
    constant, steplr = res.schedules
    assert constant.finished == 1 and constant.states == {"finished": 1, "running": 1}
    assert constant.summaries["final_acc"].n == 1 and constant.summaries["final_acc"].std is None
    assert steplr.finished == 0 and steplr.states == {"stopped": 1, "queued": 1}
    assert [r.verdict for r in res.ranking] == ["best", "no data"]
    assert steplr.reported == "77% → 81% at the epoch-16 drop, then slowly higher"  # the article's own words


def test_exports(fixture_runs):
    res = compute(load_group(read_group(fixture_runs / DEMO)), "best_loss")
    rows = list(csv.DictReader(io.StringIO(to_csv(res))))
    assert list(rows[0]) == CSV_COLUMNS and [r["rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["ranked_by"] == "best_loss" and rows[0]["verdict"] == "best" and rows[1]["p_vs_best"]
    assert float(rows[0]["best_loss_mean"]) <= float(rows[1]["best_loss_mean"])
    md = to_markdown(res)
    assert md.count("\n| ") == 4 and "Welch's t-test" in md and "K=2" in md
    paths = export_files(res)
    assert [p.name for p in paths] == ["results.csv", "results.md"] and all(
        p.parent == res.group.dir for p in paths
    )


def test_schedule_lines_from_status_files(fixture_runs):
    lines = schedule_lines(read_group(fixture_runs / DEMO))
    assert lines[1].startswith("ExponentialLR(gamma=0.6)  2/2 done  final 60.99 ± 1.15%")


def test_cli_results_runs_and_status(fixture_runs, capsys):
    assert main(["sweep", "results", "demo", "--runs-dir", str(fixture_runs), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ranked_by"] == "final_acc" and doc["schedules"][0]["label"].startswith("StepLR")
    assert (
        main(
            [
                "sweep",
                "results",
                "demo",
                "--runs-dir",
                str(fixture_runs),
                "--md",
                "-o",
                str(fixture_runs / "r.md"),
            ]
        )
        == 0
    )
    assert (fixture_runs / "r.md").read_text().startswith("**demo**")
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(fixture_runs)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"20251121-090000-sweep-demo-f001 +finished +lenet/synthetic +✔6/6 ", out)
    assert "\n    CosineAnnealingLR(T_max=5)  2/2 done  final 70.32 ± 1.85%" in out
    assert PLAIN in out
    assert main(["runs", "--runs-dir", str(fixture_runs), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    group = next(e for e in listed if e.get("kind") == "sweep" and e["id"] == DEMO)
    assert group["progress"]["done"] == 6 and len(group["summary"]) == 3
    assert main(["sweep", "status", DEMO, "--runs-dir", str(fixture_runs)]) == 0
    assert "6 done, 0 running, 0 queued, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", "results", "nothing-like-this"], "GROUP='nothing-like-this'"),
        (["sweep", "results", "lenet-b001"], "is not a sweep group"),
        (["sweep", "resume", "demo"], "has nothing to resume: every run ended"),
        (["train", "--group", "demo", "--member", "6"], "--member 6 is not allowed: group"),
        (["train", "--group", "demo", "--member", "0", "--lr", "0.1"], "--lr not allowed with --group"),
        (["train", "--group", "demo"], "--group and --member go together"),
        (["stop", "20251121-090000"], "nothing to stop"),  # stop/delete take an id or a unique prefix
        (["delete", "20251121-090000"], "refusing to delete sweep group"),
        (["delete", "demo"], "RUN='demo' is not a run"),  # never a substring
    ],
)
def test_bad_group_commands_fail_in_one_line(fixture_runs, argv, message, capsys):
    assert main([*argv, "--runs-dir", str(fixture_runs)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_finished_member_is_not_retrained_and_groups_delete(fixture_runs, capsys):
    assert main(["train", "--group", "demo", "--member", "0", "--runs-dir", str(fixture_runs)]) == 0
    assert "already finished" in capsys.readouterr().out
    assert main(["delete", DEMO, "--yes", "--runs-dir", str(fixture_runs)]) == 0
    assert not (fixture_runs / DEMO).exists() and (fixture_runs / SEED001).is_dir()
