"""`lrtui sweep status|stop|resume|results GROUP` resolve GROUP as run references are resolved
(lrtui.runs.references): an exact id or a unique prefix of one among the groups directly in the runs dir,
never a substring, a symlink, the current directory or a directory outside; an ambiguous prefix is one
line listing the candidates. The name a group was started with (`--name`) also names it, exactly and
only when one group has it. Before, `demo` picked `...-sweep-demo-f001` (a substring), `""` read the
current directory's group.json, and `stop ../elsewhere/group` stopped a group outside the runs dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lrtui.cli import main
from tests.hostile.conftest import one_line, tree_digest

from .conftest import DEMO, PLAIN, SEED001


@pytest.fixture
def runs(fixture_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copytree(fixture_runs / DEMO, outside / "g")  # a real group, outside the runs dir
    (fixture_runs / "linkgroup").symlink_to("../outside/g")
    (fixture_runs / "linkdir").symlink_to("../outside")
    monkeypatch.setenv("LRTUI_RUNS_DIR", str(fixture_runs))
    monkeypatch.chdir(outside / "g")  # `""` once meant the current directory (a group.json here)
    return fixture_runs


@pytest.fixture
def cli(capsys: pytest.CaptureFixture):
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


ESCAPES = [
    "",
    " ",
    ".",
    "..",
    "../outside/g",
    "linkgroup",
    "linkdir/g",
    f"{DEMO}/../../outside/g",
    "~/../../..",
]


@pytest.mark.parametrize("action", ["stop", "resume"])
@pytest.mark.parametrize("ref", ESCAPES)
def test_stop_and_resume_refuse_groups_outside_the_runs_dir(runs, cli, action, ref):
    outside = runs.parent / "outside"
    before_outside, before_runs = tree_digest(outside), tree_digest(runs)
    code, _out, err = cli("sweep", action, ref)
    assert code == 2
    message = one_line(err)
    assert message.startswith("lrtui: ") and "GROUP=" in message and len(message) < 400
    assert tree_digest(outside) == before_outside and tree_digest(runs) == before_runs


def test_a_substring_is_not_a_group_and_an_ambiguous_prefix_lists_the_candidates(runs, cli):
    code, _out, err = cli("sweep", "status", "sweep-demo")  # in the middle of DEMO's id
    assert code == 2
    assert one_line(err).startswith("lrtui: GROUP='sweep-demo' is not a sweep group in ")
    code, _out, err = cli("sweep", "stop", "20251121")  # the start of both groups' ids (and of a run's)
    assert code == 2
    message = one_line(err)
    assert "is the start of 2 sweep group ids" in message and DEMO in message and SEED001 in message
    assert PLAIN not in message  # runs are not candidates for a group


def test_a_run_is_not_a_group(runs, cli):
    code, _out, err = cli("sweep", "resume", PLAIN)
    assert code == 2 and "it is a run, not a sweep group (no group.json)" in one_line(err)
    code, _out, err = cli("sweep", "stop", str(runs / PLAIN))
    assert code == 2 and "it is a run, not a sweep group" in one_line(err)


def test_exact_ids_unique_prefixes_paths_and_last_name_the_group(runs, cli):
    for ref, gid in (
        (DEMO, DEMO),
        ("20251121-09", DEMO),
        (str(runs / SEED001), SEED001),
        ("last", SEED001),  # the newest group (a run newer than it does not count)
        ("demo", DEMO),  # the name it was started with (`--name demo`), exactly
    ):
        code, out, err = cli("sweep", "status", ref)
        assert (code, err) == (0, ""), (ref, err)
        assert out.startswith(gid), (ref, out)


def test_looking_at_a_group_elsewhere_is_allowed_acting_on_it_is_not(runs, cli):
    elsewhere = runs.parent / "outside" / "g"
    before = tree_digest(elsewhere)
    code, out, err = cli("sweep", "status", str(elsewhere))  # read-only, as `lrtui watch PATH`
    assert code == 0 and out.startswith("g  finished"), err
    code, out, err = cli("sweep", "results", str(elsewhere))
    assert code == 0, err
    code, _out, err = cli("sweep", "stop", str(elsewhere))
    assert code == 2 and "not a sweep group directory directly in the runs dir" in one_line(err)
    assert tree_digest(elsewhere) == before


def test_a_name_two_groups_share_is_ambiguous(runs, cli):
    shutil.copytree(runs / DEMO, runs / "20251122-090000-sweep-demo-f003")
    code, _out, err = cli("sweep", "stop", "demo")
    assert code == 2
    message = one_line(err)
    assert (
        "is the name of 2 groups" in message
        and DEMO in message
        and "20251122-090000-sweep-demo-f003" in message
    )
