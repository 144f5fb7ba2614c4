"""Errors that reach the user as a message, not a traceback.

Every problem a researcher can cause (a malformed codebook, a bad input file, a wrong parameter)
raises a `JianfuError` whose text names the file, and where it can the row / line and column.
The command-line interface prints it and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


class JianfuError(Exception):
    """A problem with the user's inputs or settings, explained in its message."""


@dataclass(frozen=True)
class Problem:
    """One located problem: the file, the line (if known), the path inside it, and what is wrong."""

    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        return f"{loc}: {self.where}: {self.message}"


class ProblemsError(JianfuError):
    """Several problems found at once, reported together."""

    def __init__(self, title: str, problems: list[Problem]):
        self.title = title
        self.problems = list(problems)
        lines = [f"{title} ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
