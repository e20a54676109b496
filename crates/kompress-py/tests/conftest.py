"""Fixtures over samples.py."""

from __future__ import annotations

import pytest

from samples import failing_test_run, server_log


@pytest.fixture
def log_text() -> str:
    return server_log()


@pytest.fixture
def test_run() -> str:
    return failing_test_run()
