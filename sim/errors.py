"""The one error type for bad input: it names the file, the field path and the problem."""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad scenario input. The CLI prints it as one line and exits with code 2."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.message = message
        self.file = file
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [w for w in (self.file, self.path) if w]
        return f"{': '.join(where)}: {self.message}" if where else self.message
