"""Run references resolve to a direct child of the runs dir, never anything else (issue 10, bug 7).

Every command that takes a RUN is fed references that once escaped: the empty string (meaning the
current directory), `..`, relative and absolute paths outside, a symlinked directory in the runs dir,
a symlink that looks like a run, a substring of an id. Nothing outside the runs dir may change.
"""

from __future__ import annotations

import pytest

from lrtui.runs import RunLogger

from .conftest import one_line, tree_digest

ESCAPES = [
    "",
    " ",
    ".",
    "..",
    "../outside/x",
    "linkdir/x",
    "linkdir",
    "linkrun",
    "good-run/../../outside/x",
    "~/../../..",
]


@pytest.mark.parametrize("command", ["delete", "stop", "resume"])
@pytest.mark.parametrize("ref", ESCAPES)
def test_control_commands_refuse_references_outside_the_runs_dir(sandbox, cli, command, ref):
    before_outside, before_runs = sandbox.digest_outside(), tree_digest(sandbox.runs)
    extra = ["--yes"] if command == "delete" else []
    result = cli(command, ref, *extra)
    assert result.code == 2
    message = one_line(result.err)
    assert message.startswith("lrtui: ") and len(message) < 400
    assert sandbox.digest_outside() == before_outside
    assert tree_digest(sandbox.runs) == before_runs


def test_absolute_path_outside_is_refused_and_inside_is_accepted(sandbox, cli):
    before = sandbox.digest_outside()
    result = cli("delete", str(sandbox.outside / "x"), "--yes")
    assert result.code == 2 and "not a run directory directly in the runs dir" in one_line(result.err)
    assert sandbox.digest_outside() == before
    result = cli("delete", str(sandbox.runs / "good-run"), "--yes")  # a path to a run in the runs dir
    assert result.code == 0 and not sandbox.good.exists()
    assert sandbox.digest_outside() == before


def test_a_substring_is_not_a_reference_and_a_prefix_must_be_unique(sandbox, cli):
    for rid in ("goodrun", "third-run"):
        with RunLogger({"model": "m"}, runs_dir=sandbox.runs, run_id=rid):
            pass
    result = cli("delete", "o", "--yes")  # a substring of "goodrun" and "good-run"
    assert result.code == 2 and "RUN='o' is not a run" in one_line(result.err)
    result = cli("delete", "good", "--yes")
    assert result.code == 2 and "is the start of 2 run ids" in one_line(result.err)
    assert (sandbox.runs / "goodrun").is_dir() and sandbox.good.is_dir()
    result = cli("delete", "thi", "--yes")  # a unique prefix
    assert result.code == 0 and not (sandbox.runs / "third-run").exists()


def test_delete_says_what_it_deletes(sandbox, cli):
    before = sandbox.digest_outside()
    result = cli("delete", "good-run", "--yes")
    assert result.code == 0
    assert result.out.startswith("deleted run good-run: ") and str(sandbox.good) in result.out
    assert "files" in result.out and "MB" in result.out
    refused = cli("delete", "linkrun")  # not interactive and no --yes: refused, and says what
    assert refused.code == 2
    assert sandbox.digest_outside() == before and not sandbox.good.exists()


def test_delete_without_yes_names_the_run_and_its_size(sandbox, cli):
    result = cli("delete", "good-run")  # stdin is not a terminal under pytest
    assert result.code == 2
    message = one_line(result.err)
    assert "refusing to delete run good-run" in message and "files" in message and "--yes" in message
    assert sandbox.good.is_dir()


def test_symlinked_runs_are_listed_as_unreadable_not_followed(sandbox, cli):
    result = cli("runs")
    assert result.code == 0
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert "unreadable" in rows["linkrun"] and "symbolic link" in rows["linkrun"]
    assert "not yours" not in result.out  # the linked config was not read


@pytest.mark.parametrize("ref", ["", "linkrun", "linkdir", "o", "../outside/nothing"])
def test_watch_refuses_bad_references_before_opening_anything(sandbox, cli, ref):
    result = cli("watch", ref)
    assert result.code == 2 and one_line(result.err).startswith("lrtui: RUN=")


def test_long_references_are_not_echoed_whole(sandbox, cli):
    result = cli("delete", "z" * 5000, "--yes")
    assert result.code == 2 and len(one_line(result.err)) < 400
