"""The one error type for bad input: it names the file, the field path and the problem."""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad input: a scenario, a log, an option. The CLI prints it as one line (file: field
    path: problem) and exits with code 2; any other exception is a bug and shows its
    traceback."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.message = message
        self.file = file
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [w for w in (self.file, self.path) if w]
        return f"{': '.join(where)}: {self.message}" if where else self.message


class PlanningError(ScenarioError):
    """A valid request no plan can meet: no staffing level reaches a target, the shift
    templates cannot cover the day, the exact model does not apply, the queue does not
    settle. Reported like bad input (one line, exit 2)."""


def input_file_problem(path) -> str | None:
    """Why `path` cannot be read as an input file (None if it can): missing, a folder,
    or not a regular file (a FIFO would block the reader forever, a device never ends)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a pipe, socket or device)"
    return None


def require_input_file(path) -> None:
    """Raise ScenarioError naming the file if it cannot be read as an input file."""
    problem = input_file_problem(path)
    if problem is not None:
        raise ScenarioError(problem, file=str(path))
