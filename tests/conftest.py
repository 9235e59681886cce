import math
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# the property tests draw their examples from a fixed sequence: the same examples on
# every run and machine (a test suite that passes or fails by luck tells nothing);
# CCSIM_HYPOTHESIS_PROFILE=explore draws new ones, to hunt for failures on purpose
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("CCSIM_HYPOTHESIS_PROFILE", "fixed"))


@pytest.fixture(autouse=True)
def _no_progress_lines_in_command_output(monkeypatch):
    """Commands print plain progress lines after 2 s and a compile note after 4 s of
    loading the engine: what a test reads of a command's output must not depend on how
    fast the machine is, so here they never print. tests/test_progress.py sets them back
    and drives them with a fake clock."""
    from ccsim.commands import progress

    monkeypatch.setattr(progress, "PLAIN_AFTER", math.inf)
    monkeypatch.setattr(progress, "COMPILE_NOTE_AFTER", math.inf)
