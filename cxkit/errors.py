"""Errors that tell a consultant what went wrong, where, and what to do.

Every error carries fields (file, key or column, rows, fix) as well as a message,
so the CLI can print a clear line and tests can check the fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CxkitError(Exception):
    """Base class of the errors cxkit reports to its users (no traceback needed)."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in an engagement's YAML."""

    file: str
    key: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}: {self.key}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class ConfigError(CxkitError):
    """The engagement configuration is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class DataProblem:
    """One problem in an input data file.

    ``rows`` are the row numbers as a spreadsheet shows them (the header is row 1).
    """

    severity: str  # "error" or "warning"
    file: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    n_rows: int = 0
    examples: tuple[str, ...] = ()
    fix: str = ""

    def __str__(self) -> str:
        parts = [f"{self.severity.upper()}: {self.file}"]
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        text = ", ".join(parts) + f": {self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" (and {self.n_rows - len(self.rows)} more)" if self.n_rows > len(self.rows) else ""
            text += f"; rows {shown}{more}"
        if self.examples:
            text += "; values " + ", ".join(repr(v) for v in self.examples)
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class DataError(CxkitError):
    """Input data breaks the engagement's data contract; ``problems`` lists them all."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors or self.problems))


@dataclass(frozen=True)
class StageFailure:
    """Where a notebook stage failed: enough to open the executed notebook at the cell."""

    stage: str
    notebook: str
    cell: int | None
    error: str
    detail: str = ""


class StageError(CxkitError):
    """A notebook stage failed during a run."""

    def __init__(self, failure: StageFailure):
        self.failure = failure
        where = f"cell {failure.cell}" if failure.cell is not None else "before any cell ran"
        super().__init__(f"stage {failure.stage} failed in {failure.notebook}, {where}: {failure.error}")


class StageSkipped(CxkitError):
    """A stage cannot run because the engagement lacks the data it needs."""


class NotEnoughData(CxkitError):
    """The data cannot support an analysis (too few customers, touchpoints or answers, no outcome of the kind it
    needs): the message says why in a consultant's words, and what would let it run. The stage leaves that
    analysis out and says so (:meth:`cxkit.run.stage.StageContext.attempt`)."""


@dataclass
class Problems:
    """Collects problems so that every one is reported at once, not only the first."""

    items: list = field(default_factory=list)

    def add(self, problem) -> None:
        self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)
