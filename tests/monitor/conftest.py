from __future__ import annotations

import pytest

from .helpers import copy_fixture


@pytest.fixture
def fixture_runs(tmp_path):
    """A private copy of tests/monitor/fixtures/runs (tests may delete or add runs)."""
    return copy_fixture(tmp_path)
