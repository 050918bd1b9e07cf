"""Browser screenshots go under tests/browser/artifacts/, which git ignores (CI keeps it)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.conftest import ROOT


def test_screenshots_are_kept_under_tests_browser_and_ignored_by_git():
    assert ARTIFACTS == ROOT / "tests" / "browser" / "artifacts"
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout to ask what it ignores")
    answer = subprocess.run([git, "check-ignore", "-q", "tests/browser/artifacts/any.png"],  # noqa: S603
                            cwd=ROOT, check=False)
    assert answer.returncode == 0, "tests/browser/artifacts/ is not git-ignored"
    assert "tests/browser/artifacts/" in (ROOT / "README.md").read_text()
