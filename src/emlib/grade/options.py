"""The settings of a grading run, shared by every stage."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["GradingOptions"]


@dataclass(frozen=True)
class GradingOptions:
    """Limits and settings of a grading run.

    Attributes
    ----------
    timeout : float
        Seconds to run all the cells of one notebook (kernel restarts included).
    cell_timeout : float
        Seconds one cell may run before it is interrupted.
    check_timeout : float
        Seconds to collect the answers of one exercise (the student's function on all cases).
    seed : int
        Seeds the extra random cases, so a run is reproducible.
    extra_cases : int
        Freshly seeded copies of each random case added to the exercise's own cases.
    assignment : str or None
        Grade every notebook as this assignment (e.g. ``"ch03"``) instead of reading it from
        the notebook's metadata or file name.
    sandbox : bool
        Run each submission in a bubblewrap sandbox (see :mod:`emlib.grade.sandbox`).
        ``False`` runs student code with the grader's own permissions.
    memory_mb : int
        Address space each process of a submission may use, in MiB.
    tmp_mb : int
        Size of the submission's private ``/tmp`` and home, in MiB (sandbox only).
    max_processes : int
        Processes and threads a submission may have at once (sandbox only).
    """

    timeout: float = 180.0
    cell_timeout: float = 60.0
    check_timeout: float = 30.0
    seed: int = 0
    extra_cases: int = 3
    assignment: str | None = None
    sandbox: bool = True
    memory_mb: int = 4096
    tmp_mb: int = 256
    max_processes: int = 256

    def __post_init__(self) -> None:
        for name in ("timeout", "cell_timeout", "check_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds; got {value!r}")
        if self.extra_cases < 0:
            raise ValueError(f"extra_cases must be >= 0; got {self.extra_cases!r}")
        for name in ("memory_mb", "tmp_mb", "max_processes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 16:
                raise ValueError(f"{name} must be an integer of at least 16; got {value!r}")

    def hard_limit(self, n_exercises: int) -> float:
        """Seconds after which a submission's whole sandbox is killed, whatever it is doing."""
        return 2 * self.timeout + n_exercises * (self.check_timeout + 10) + 60
