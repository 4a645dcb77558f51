"""Shared fixtures of the test suite."""
import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    """Absolute path of the repository checkout."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def python_exe() -> str:
    """The interpreter running the tests, for tools started as subprocesses."""
    return sys.executable
