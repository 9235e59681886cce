import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_progress_lines_in_command_output(monkeypatch):
    """Commands print plain progress lines after 2 s and a compile note after 4 s of
    loading the engine: what a test reads of a command's output must not depend on how
    fast the machine is, so here they never print. tests/test_progress.py sets them back
    and drives them with a fake clock."""
    from ccsim.commands import progress

    monkeypatch.setattr(progress, "PLAIN_AFTER", math.inf)
    monkeypatch.setattr(progress, "COMPILE_NOTE_AFTER", math.inf)
