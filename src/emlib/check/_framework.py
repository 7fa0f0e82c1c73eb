"""The exercise-check framework: exercises, cases, diagnoses, results and the registry.

Read ``src/emlib/check/README.md`` first; this module is what it describes.

The same code decides a verdict in two places:

* in the student's notebook, ``Exercise.check(answer)`` runs the answer on the cases,
  evaluates it, shows the result and raises :class:`CheckFailed` when it is wrong;
* in the grader (:mod:`emlib.grade`), the answer runs in the student's kernel but the
  cases, the reference answers and :meth:`Exercise.evaluate_record` stay in the grader's own
  process, so nothing the notebook does to ``emlib.check`` changes the grade.

Both run the answer with the same function, :func:`emlib.check._harness.run_answer` (under
the run-time forbidden-call detector of :mod:`emlib.check._detector`), and both decide with
:meth:`Exercise.evaluate_record` on the record it returns: the two verdicts cannot differ.
"""

from __future__ import annotations

import copy
import html
import importlib
import pkgutil
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from . import _codec, _detector, _harness
from ._codec import same_value
from .compare import Comparator, Mismatch, close, values_close

__all__ = [
    "BUILTIN_MISTAKES",
    "Case",
    "CheckFailed",
    "Diagnosis",
    "Exercise",
    "NotAttempted",
    "Result",
    "Trial",
    "assignments",
    "exercises",
    "fixed",
    "get_exercise",
    "load_all",
    "random_cases",
    "register",
    "score",
    "show_score",
]


class CheckFailed(AssertionError):
    """Raised by a check cell when the answer is wrong; the message is the hint."""


class NotAttempted(CheckFailed):
    """Raised by a check cell when the exercise still raises ``NotImplementedError``."""


#: Mistakes the framework recognises by itself, with what they mean. Diagnosis names must
#: not reuse these ids. ``missing``, ``timeout``, ``kernel-died`` and ``not-graded`` are only
#: reported by the grader.
BUILTIN_MISTAKES: dict[str, str] = {
    "not-attempted": "the answer still raises NotImplementedError",
    "missing": "the notebook defines no function with the exercise's name",
    "not-callable": "the answer should be a function and is not",
    "forbidden-call": "the answer runs a library function that does the exercise",
    "own-function-unused": "the answer does not use the student's function it must use",
    "exception": "the answer raised an exception",
    "modified-input": "the answer changed one of its arguments in place",
    "returned-none": "the answer returned None",
    "wrong-type": "the answer has the wrong type",
    "wrong-shape": "the answer has the wrong shape",
    "non-finite": "the answer has NaN or infinite values where finite ones are expected",
    "constant-output": "the answer is the same whatever the input",
    "returned-input": "the answer returns one of its arguments unchanged",
    "wrong-values": "the answer has wrong values",
    "not-reproducible": "the answer depends on something else than its arguments (a seed)",
    "timeout": "the answer did not finish in time",
    "kernel-died": "the answer crashed the Python kernel",
    "not-graded": "the notebook could not be run",
}

_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One test case: a named set of inputs for the student's function.

    Parameters
    ----------
    label : str
        Shown to the student when the case fails, e.g. ``"points far from every centre"``.
    make : callable
        ``make(rng) -> dict`` of inputs, in the order of the function's parameters (the
        function is called positionally: ``answer(*inputs.values())``). ``rng`` is a
        :class:`numpy.random.Generator` seeded with ``seed``.
    seed : int
        Seed of ``rng``.
    randomised : bool
        Whether the case is random. The grader adds cases with fresh seeds for every
        randomised ``make``, so answers cannot be hard-coded.
    special : str
        For an easy special case, what makes it special, as a clause: ``"all the weights
        are equal"``. An answer right on this case and wrong on an ordinary one is told
        "right when all the weights are equal, wrong otherwise" and ``focus``.
    focus : str
        Where to look when the answer is right only on this special case, e.g. ``"look at
        how π_k enters"``.
    """

    label: str
    make: Callable[[np.random.Generator], Mapping[str, Any]]
    seed: int = 0
    randomised: bool = False
    special: str = ""
    focus: str = ""

    @property
    def title(self) -> str:
        """The label, with the seed of a random case."""
        return f"{self.label} (seed {self.seed})" if self.randomised else self.label

    def build(self) -> dict[str, Any]:
        """Make the inputs (a fresh copy each call).

        Raises
        ------
        TypeError
            If ``make`` does not return a mapping of argument names to values.
        """
        inputs = self.make(np.random.default_rng(self.seed))
        if not isinstance(inputs, Mapping):
            raise TypeError(
                f"case {self.title!r}: make(rng) must return a dict of inputs, "
                f"got {type(inputs).__name__}"
            )
        return dict(inputs)

    def with_seed(self, seed: int) -> Case:
        """The same random case with another seed."""
        return replace(self, seed=int(seed))


def fixed(label: str, *, special: str = "", focus: str = "", **inputs: Any) -> Case:
    """A case with fixed inputs, e.g. ``fixed("two points", X=np.zeros((2, 1)), params=p)``.

    The inputs are deep-copied, so a function that modifies them cannot affect later runs.
    ``special`` and ``focus``: see :class:`Case`.
    """
    frozen = copy.deepcopy(inputs)
    return Case(label, lambda rng: copy.deepcopy(frozen), special=special, focus=focus)


def random_cases(
    make: Callable[[np.random.Generator], Mapping[str, Any]],
    seeds: Iterable[int] = (0, 1, 2),
    label: str = "random case",
) -> list[Case]:
    """Random cases, one per seed, all made by ``make(rng)``."""
    return [Case(label, make, seed=int(s), randomised=True) for s in seeds]


# --------------------------------------------------------------------------- trials


@dataclass
class Trial:
    """What happened when the answer ran on one case.

    Attributes
    ----------
    case : Case
        The case.
    inputs : dict
        The case's inputs as the reference saw them (the answer got a copy).
    expected : object
        The reference answer.
    output : object
        The student's answer (``None`` if it raised).
    error_type, error : str or None
        The exception's class name and ``"Class: message"`` if the answer raised.
    mutated : tuple of str
        Names of the inputs the answer modified in place.
    """

    case: Case
    inputs: dict[str, Any]
    expected: Any
    output: Any = None
    error_type: str | None = None
    error: str | None = None
    mutated: tuple[str, ...] = ()

    @property
    def raised(self) -> bool:
        """Whether the answer raised an exception on this case."""
        return self.error_type is not None


@dataclass(frozen=True)
class Diagnosis:
    """Recognises one plausible mistake and says how to fix it.

    Parameters
    ----------
    name : str
        Short kebab-case id, e.g. ``"no-weights"``; shown in brackets to the student and
        used by tests.
    hint : str
        What the mistake is and how to fix it, addressed to the student.
    detect : callable
        ``detect(trial) -> bool | str | None``, called only on cases the answer failed.
        Return a true value when the trial shows the mistake; a string is appended to the
        hint as a detail (e.g. ``"row 3 sums to 1.7"``). An exception inside ``detect``
        counts as "not detected", so ``detect`` may assume the output has any type.
    """

    name: str
    hint: str
    detect: Callable[[Trial], bool | str | None]
    everywhere: bool = False

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(
                f"Diagnosis name {self.name!r} must be kebab-case (lowercase letters, digits "
                "and single hyphens), e.g. 'no-weights'"
            )
        if self.name in BUILTIN_MISTAKES:
            raise ValueError(f"Diagnosis name {self.name!r} is a built-in mistake id; pick another")
        if not self.hint.strip():
            raise ValueError(f"Diagnosis {self.name!r} needs a hint for the student")

    def judge(self, trial: Trial) -> str | Literal[False] | None:
        """The detail if detected (``""`` for none), ``False`` if ``detect`` said exactly
        ``False`` (contradicted, see ``everywhere``), else ``None``."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                found = self.detect(trial)
        except Exception:
            return None
        if isinstance(found, str):
            return found
        if found is False or (isinstance(found, np.bool_) and not found):
            return False
        if isinstance(found, (bool, np.bool_)) and found:
            return ""
        return None

    def run(self, trial: Trial) -> str | None:
        """The detail text if the mistake is detected (``""`` for no detail), else ``None``."""
        found = self.judge(trial)
        return None if found is False else found


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    """The verdict on one answer to one exercise."""

    assignment: str
    name: str
    title: str
    points: int
    status: Literal["passed", "failed", "not-attempted"]
    mistake: str | None = None
    message: str = ""
    case: str | None = None
    n_cases: int = 0
    n_failed: int = 0

    @property
    def passed(self) -> bool:
        """Whether the answer is correct."""
        return self.status == "passed"

    @property
    def earned(self) -> int:
        """Points earned: all of them if the answer passed, none otherwise."""
        return self.points if self.passed else 0

    @property
    def icon(self) -> str:
        """✅, ❌ or ✏️ (not attempted)."""
        return {"passed": "✅", "not-attempted": "✏️"}.get(self.status, "❌")

    def headline(self) -> str:
        """One line: icon, exercise, points."""
        if self.passed:
            what = f"passed all {self.n_cases} test cases" if self.n_cases > 1 else "correct"
            gained = f"+{self.points} points ({self.earned}/{self.points})"
            return f"{self.icon} {self.title}: {what}. {gained}"
        if self.status == "not-attempted":
            return (
                f"{self.icon} {self.title}: not attempted yet ({self.earned}/{self.points} points)"
            )
        return f"{self.icon} {self.title}: not yet right ({self.earned}/{self.points} points)"

    def explanation(self) -> str:
        """The hint, with the mistake id and the failing case (empty if passed)."""
        if self.passed:
            return ""
        text = f"[{self.mistake}] {self.message}" if self.mistake else self.message
        if self.case is not None:
            text += f" (Test case: {self.case}"
            if self.n_cases > 1:
                text += f"; {self.n_failed} of {self.n_cases} cases failed"
            text += ".)"
        return text

    def to_text(self) -> str:
        """Plain-text rendering."""
        explanation = self.explanation()
        return self.headline() + (f"\n   {explanation}" if explanation else "")

    def to_markdown(self) -> str:
        """Markdown rendering (used in the grader's feedback files)."""
        explanation = self.explanation()
        return f"**{self.headline()}**" + (f"\n\n{explanation}" if explanation else "")

    def to_html(self, footer: str = "") -> str:
        """HTML rendering (shown under a check cell), with an optional grey footer line."""
        colours = {
            "passed": ("#2e7d32", "#e8f5e9"),
            "not-attempted": ("#f9a825", "#fffde7"),
        }.get(self.status, ("#c62828", "#ffebee"))
        body = f"<b>{_html(self.headline())}</b>"
        if not self.passed:
            tag = f"<b>[{_html(self.mistake)}]</b> " if self.mistake else ""
            body += f"<div style='margin-top:0.3em'>{tag}{_html(self.message)}</div>"
            if self.case is not None:
                where = f"Test case: {self.case}"
                if self.n_cases > 1:
                    where += f" ({self.n_failed} of {self.n_cases} cases failed)"
                body += f"<div style='margin-top:0.2em;color:#555'>{_html(where)}</div>"
        if footer:
            body += f"<div style='margin-top:0.3em;color:#555'>{_html(footer)}</div>"
        return _box(body, *colours)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dictionary of every field plus ``earned``."""
        return {
            "assignment": self.assignment,
            "name": self.name,
            "title": self.title,
            "points": self.points,
            "earned": self.earned,
            "status": self.status,
            "mistake": self.mistake,
            "message": self.message,
            "case": self.case,
            "n_cases": self.n_cases,
            "n_failed": self.n_failed,
        }


def _html(text: str) -> str:
    """Escape ``text`` and turn `backticks` into <code>."""
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _box(body: str, border: str, background: str) -> str:
    return (
        f"<div style='border-left:6px solid {border};background:{background};color:#1b1b1b;"
        f"padding:0.5em 1em;margin:0.3em 0;font-family:sans-serif;line-height:1.4'>{body}</div>"
    )


def _display(html_text: str, plain_text: str) -> None:
    """Show HTML in a notebook, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(plain_text)
        return
    if get_ipython() is None:
        print(plain_text)
        return
    display({"text/html": html_text, "text/plain": plain_text}, raw=True)


# --------------------------------------------------------------------------- exercises


def _deepcopy_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in inputs.items()}


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: a function the student writes. Register it in a chapter module.

    Parameters
    ----------
    assignment : str
        The notebook it belongs to, e.g. ``"ch03"`` (the chapter module's name).
    name : str
        Python identifier of the exercise, e.g. ``"responsibilities"``.
    points : int
        Points for a correct answer (all or nothing).
    reference : callable
        The correct answer, called like the student's function
        (``reference(*inputs.values())``). Usually a function of :mod:`emlib`.
    cases : sequence of Case
        Test cases: fixed ones from :func:`fixed` and random ones from :func:`random_cases`.
    diagnoses : sequence of Diagnosis
        Plausible mistakes and properties, in the order of :meth:`evaluate` (see
        :mod:`emlib.check.diagnoses`).
    compare : callable
        ``compare(output, expected) -> Mismatch | str | None``; default
        :func:`emlib.check.compare.close`.
    title : str
        Shown to students, e.g. ``"Exercise 3.2: responsibilities"``; default ``name``.
    target : str
        Name of the function in the notebook; default ``name``.
    forbidden : sequence of str
        Dotted names of the library functions or classes that would do the exercise, e.g.
        ``("emlib.e_step", "sklearn.mixture.GaussianMixture")``: running any of them while
        the answer runs costs the points (:mod:`emlib.check._detector`).
    avoid : sequence of str
        Names of the student's own functions (other exercises of the notebook) that the
        answer must not run, e.g. ``("elbo",)`` for a KL that must not be log p − ELBO.
    require : sequence of str
        Names of the student's own functions that the answer must run, e.g. ``("kl_gap",)``.
    consistency : callable, optional
        ``consistency(trials) -> Mismatch | None``, run when every case passed: a property
        across cases, e.g. that the same seed gives the same sample and another seed another.
    """

    assignment: str
    name: str
    points: int
    reference: Callable[..., Any]
    cases: Sequence[Case] = ()
    diagnoses: Sequence[Diagnosis] = ()
    compare: Comparator = field(default_factory=close)
    title: str = ""
    target: str = ""
    forbidden: Sequence[str] = ()
    avoid: Sequence[str] = ()
    require: Sequence[str] = ()
    consistency: Callable[[Sequence[Trial]], Mismatch | None] | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^[A-Za-z_]\w*$", self.assignment):
            raise ValueError(
                f"assignment must be a module-like name such as 'ch03'; got {self.assignment!r}"
            )
        if not self.name.isidentifier():
            raise ValueError(f"exercise name must be a Python identifier; got {self.name!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points <= 0:
            raise ValueError(
                f"exercise {self.name!r}: points must be a positive int; got {self.points!r}"
            )
        if not callable(self.reference):
            raise ValueError(f"exercise {self.name!r}: reference must be callable")
        if not self.cases:
            raise ValueError(f"exercise {self.name!r}: an exercise needs at least one case")
        for spec in self.forbidden:
            if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", spec):
                raise ValueError(
                    f"exercise {self.name!r}: forbidden entries are dotted names such as "
                    f"'emlib.e_step'; got {spec!r}"
                )
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "diagnoses", tuple(self.diagnoses))
        object.__setattr__(self, "forbidden", tuple(self.forbidden))
        object.__setattr__(self, "avoid", tuple(self.avoid))
        object.__setattr__(self, "require", tuple(self.require))
        object.__setattr__(self, "title", self.title or self.name)
        object.__setattr__(self, "target", self.target or self.name)
        if not self.target.isidentifier():
            raise ValueError(
                f"exercise {self.name!r}: target must be an identifier; got {self.target!r}"
            )
        names = [d.name for d in self.diagnoses]
        if len(set(names)) != len(names):
            raise ValueError(f"exercise {self.name!r}: diagnosis names must be unique; got {names}")

    @property
    def key(self) -> str:
        """``"assignment.name"``, e.g. ``"ch03.responsibilities"``."""
        return f"{self.assignment}.{self.name}"

    @property
    def watch(self) -> dict[str, list[str]]:
        """What the run-time detector watches: the ``watch`` argument of the collector."""
        return {
            "forbidden": list(self.forbidden),
            "avoid": list(self.avoid),
            "require": list(self.require),
        }

    # ------------------------------------------------------------------ cases
    def grading_cases(self, seed: int | None = None, n_extra: int = 0) -> list[Case]:
        """The exercise's cases, plus ``n_extra`` freshly seeded copies of each random case.

        The extra seeds derive from ``seed`` and the exercise's key, so a grading run is
        reproducible but its random cases are not the ones students see.
        """
        cases = list(self.cases)
        if seed is None or n_extra <= 0:
            return cases
        makers: list[Case] = []
        for case in cases:
            if case.randomised and all(case.make is not m.make for m in makers):
                makers.append(case)
        entropy = [int(seed) & 0xFFFFFFFF, zlib.crc32(self.key.encode())]
        state = np.random.SeedSequence(entropy).generate_state(n_extra * max(1, len(makers)))
        for j, case in enumerate(makers):
            for i in range(n_extra):
                cases.append(case.with_seed(int(state[j * n_extra + i]) % (2**31)))
        return cases

    def expected(self, inputs: Mapping[str, Any]) -> Any:
        """The reference answer for ``inputs`` (computed on a copy)."""
        return self.reference(*_deepcopy_inputs(inputs).values())

    # ------------------------------------------------------------------ running
    def record(self, answer: Any, inputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Run ``answer`` in this process exactly as the grader's kernel does: the record.

        The inputs travel through the same encoding as in the grader (a copy each).
        """
        if not callable(answer):
            return {"status": "not-callable", "type": type(answer).__name__}
        copies = _codec.loads(_codec.dumps(list(inputs)))
        namespace = getattr(answer, "__globals__", {})
        return _harness.run_answer(answer, copies, self.watch, namespace, _codec, _detector)

    def trials(
        self,
        record: Mapping[str, Any],
        cases: Sequence[Case],
        inputs: Sequence[Mapping[str, Any]],
        expected: Sequence[Any],
    ) -> list[Trial]:
        """The :class:`Trial` of each case from an ``"ok"`` record (see ``_harness``).

        Raises
        ------
        ValueError
            If the record is malformed (wrong number of entries, undecodable output...).
        """
        entries = record.get("trials")
        if not isinstance(entries, list) or len(entries) != len(cases):
            raise ValueError(f"the record has no list of {len(cases)} answers")
        trials = []
        for case, args, exp, entry in zip(cases, inputs, expected, entries, strict=True):
            if not isinstance(entry, Mapping):
                raise ValueError("an answer entry is not an object")
            error_type = entry.get("error_type")
            trials.append(
                Trial(
                    case,
                    dict(args),
                    exp,
                    output=_codec.decode(entry["output"]) if "output" in entry else None,
                    error_type=None if error_type is None else str(error_type)[:100],
                    error=None if entry.get("error") is None else str(entry["error"])[:500],
                    mutated=tuple(str(m) for m in entry.get("mutated", []) if m in args),
                )
            )
        return trials

    def evaluate_record(
        self,
        record: Mapping[str, Any],
        cases: Sequence[Case],
        inputs: Sequence[Mapping[str, Any]],
        expected: Sequence[Any],
    ) -> Result:
        """The verdict on a record of :func:`emlib.check._harness.run_answer`.

        Handles the statuses ``ok``, ``missing`` and ``not-callable``; the grader reports
        its own (``timeout``, ``kernel-died``...) with :meth:`failure`.

        Raises
        ------
        ValueError
            If the record is malformed.
        """
        status = record.get("status")
        if status == "missing":
            return self.failure(
                "missing",
                f"Your notebook defines no function called `{self.target}` (or the cell "
                "defining it did not run). Keep the name given in the exercise.",
            )
        if status == "not-callable":
            return self.failure(
                "not-callable",
                f"`{self.target}` should be a function; you gave a {record.get('type')}. Pass "
                f"your function itself, without calling it: `check_{self.name}({self.target})`.",
            )
        if status != "ok":
            raise ValueError(f"unknown record status {status!r}")
        forbidden = record.get("forbidden")
        if forbidden is not None and not isinstance(forbidden, str):
            raise ValueError("the record's 'forbidden' is not a string")
        unused = [str(n) for n in record.get("unused", []) if n in self.require]
        return self.evaluate(self.trials(record, cases, inputs, expected), forbidden, unused)

    # ------------------------------------------------------------------ verdict
    def result(
        self,
        status: str,
        mistake: str | None = None,
        message: str = "",
        case: str | None = None,
        n_cases: int = 0,
        n_failed: int = 0,
    ) -> Result:
        """A :class:`Result` for this exercise."""
        return Result(
            self.assignment,
            self.name,
            self.title,
            self.points,
            status,  # type: ignore[arg-type]
            mistake,
            message,
            case,
            n_cases,
            n_failed,
        )

    def not_attempted(self) -> Result:
        """The result of an answer that still raises ``NotImplementedError``."""
        return self.result(
            "not-attempted",
            "not-attempted",
            "Your function still raises `NotImplementedError`: replace the line "
            "`raise NotImplementedError(...)` with your code.",
        )

    def failure(self, mistake: str, message: str, **kwargs: Any) -> Result:
        """A failed :class:`Result` with the given mistake id and message."""
        return self.result("failed", mistake, message, **kwargs)

    def evaluate(
        self,
        trials: Sequence[Trial],
        forbidden_used: str | None = None,
        unused: Sequence[str] = (),
    ) -> Result:
        """Decide the verdict from the trials. Pure: it runs no student code.

        The diagnosis goes by properties, in this order, and reports the first that fails:

        1. the answer is not written yet, runs forbidden library code, computes nothing
           (None, the same output whatever the input, an argument returned unchanged);
        2. the exercise's diagnoses, in their order: known mistakes (each shown only if the
           answer reproduces that mistake's output on every case where it matters) and
           properties (shape, finite, rows sum to 1, symmetric...);
        3. an exception, or an argument changed in place;
        4. the comparison of the first failing case: type and shape, then finite values,
           then the values, localised by the cases that passed: "right when <special>,
           wrong otherwise" for the easy special cases (:class:`Case` ``special``);
        5. when every case passed: ``consistency`` across cases (e.g. seeds).

        Parameters
        ----------
        trials : sequence of Trial
            One per case.
        forbidden_used : str, optional
            What the run-time detector saw the answer run (e.g. "`emlib.e_step`").
        unused : sequence of str
            Names of ``require`` that the answer did not run.
        """
        if not trials:
            raise ValueError(f"exercise {self.name!r}: evaluate() needs at least one trial")
        n = len(trials)
        if any(t.error_type == "NotImplementedError" for t in trials):
            return self.not_attempted()
        if forbidden_used:
            return self.failure(
                "forbidden-call",
                f"This exercise asks you to write the computation yourself, but `{self.target}` "
                f"ran {forbidden_used}, which does it for you. Use only the building blocks "
                "named in the exercise.",
                n_cases=n,
                n_failed=n,
            )
        failing: list[tuple[Trial, Mismatch | None]] = []
        for trial in trials:
            if trial.raised or trial.mutated:
                failing.append((trial, None))
                continue
            problem = self.compare(trial.output, trial.expected)
            if isinstance(problem, str):
                problem = Mismatch("wrong-values", problem)
            if problem is not None:
                failing.append((trial, problem))
        if not failing:
            if unused:
                return self._unused(unused, n_cases=n, n_failed=n)
            if self.consistency is not None:
                problem = self.consistency(trials)
                if problem is not None:
                    return self.failure(problem.mistake, problem.message, n_cases=n, n_failed=n)
            return self.result("passed", n_cases=n)
        counts = {"n_cases": n, "n_failed": len(failing)}

        first = failing[0][0].case.title
        succeeded = [t for t in trials if not t.raised]

        # 1. answers that compute nothing: None, a constant, or an argument unchanged
        if succeeded and all(t.output is None for t in succeeded):
            return self.failure(
                "returned-none",
                "Your function returns None: did you forget the `return` statement?",
                case=first,
                **counts,
            )
        if len(succeeded) >= 2:
            outputs_equal = all(same_value(succeeded[0].output, t.output) for t in succeeded[1:])
            expected_differ = any(
                not values_close(succeeded[0].expected, t.expected) for t in succeeded[1:]
            )
            if outputs_equal and expected_differ:
                return self.failure(
                    "constant-output",
                    "Your function returns the same result whatever its inputs: it must compute "
                    "the answer from its arguments.",
                    case=first,
                    **counts,
                )
        if succeeded:
            for arg in trials[0].inputs:
                if all(
                    arg in t.inputs and values_close(t.output, t.inputs[arg], 0, 0)
                    for t in succeeded
                ):
                    return self.failure(
                        "returned-input",
                        f"Your function returns its argument `{arg}` unchanged.",
                        case=first,
                        **counts,
                    )

        if unused and not any(t.raised for t in trials):
            return self._unused(unused, case=first, **counts)

        # 2. the exercise's own diagnoses, in order
        for diagnosis in self.diagnoses:
            judged: dict[int, str | Literal[False] | None] = {}
            if diagnosis.everywhere:
                judged = {id(t): diagnosis.judge(t) for t in trials if not t.raised}
                if any(v is False for v in judged.values()):
                    continue
            for trial, _ in failing:
                detail = judged[id(trial)] if id(trial) in judged else diagnosis.run(trial)
                if detail is not None and detail is not False:
                    message = diagnosis.hint + (f" ({detail})" if detail else "")
                    return self.failure(diagnosis.name, message, case=trial.case.title, **counts)

        # 3. the first failing case, as it failed
        trial, problem = failing[0]
        if trial.raised:
            return self.failure(
                "exception",
                f"Your function raised `{trial.error}`.",
                case=trial.case.title,
                **counts,
            )
        if trial.mutated:
            names = ", ".join(f"`{m}`" for m in trial.mutated)
            return self.failure(
                "modified-input",
                f"Your function changes its argument {names} in place. Leave the inputs alone: "
                "work on a copy (`X = X.copy()`) or build new arrays.",
                case=trial.case.title,
                **counts,
            )
        # 4. by property: shape/type before finite before values (the comparator's order)
        order = ("returned-none", "wrong-type", "wrong-shape", "non-finite", "wrong-values")
        ranked = [(t, p) for t, p in failing if p is not None]
        trial, problem = min(
            ranked, key=lambda tp: order.index(tp[1].mistake) if tp[1].mistake in order else 9
        )
        message = problem.message
        if problem.mistake == "wrong-values":
            message = _localise(trials, {id(t) for t, _ in failing}) + message
        return self.failure(problem.mistake, message, case=trial.case.title, **counts)

    def _unused(self, unused: Sequence[str], **kwargs: Any) -> Result:
        names = " and ".join(f"`{name}`" for name in unused)
        return self.failure(
            "own-function-unused",
            f"This exercise asks you to use your own {names} (from an exercise above), and "
            f"`{self.target}` never called it: compute that part with it, not from your other "
            "results (that would make them agree by construction).",
            **kwargs,
        )

    def grade(self, answer: Any, cases: Sequence[Case] | None = None) -> Result:
        """Run and evaluate ``answer`` in this process, without showing anything.

        This is the grader's path, in one process: :meth:`record` then
        :meth:`evaluate_record`.
        """
        cases = list(cases if cases is not None else self.grading_cases())
        inputs = [case.build() for case in cases]
        expected = [self.expected(args) for args in inputs]
        return self.evaluate_record(self.record(answer, inputs), cases, inputs, expected)

    def check(self, answer: Any) -> None:
        """Check ``answer`` in a notebook: show the verdict and the running score.

        Raises
        ------
        NotAttempted
            If the answer still raises ``NotImplementedError``.
        CheckFailed
            If the answer is wrong; the message is the hint.
        """
        __tracebackhide__ = True
        result = self.grade(answer)
        _SCOREBOARD.setdefault(self.assignment, {})[self.name] = result
        earned, available = score(self.assignment)
        total = f"Score so far in {self.assignment}: {earned}/{available} points"
        _display(result.to_html(footer=total), f"{result.to_text()}\n   {total}")
        if result.status == "not-attempted":
            raise NotAttempted(result.explanation())
        if not result.passed:
            raise CheckFailed(result.explanation())


def _localise(trials: Sequence[Trial], failed: set[int]) -> str:
    """ "Right when <special>, wrong otherwise: <focus>." from the cases that passed."""
    ordinary_failed = any(id(t) in failed and not t.case.special for t in trials)
    for trial in trials:
        special = trial.case.special
        if special and id(trial) not in failed and ordinary_failed:
            focus = f": {trial.case.focus}" if trial.case.focus else ""
            return f"Your function is right when {special}, but wrong otherwise{focus}. "
    for trial in trials:
        if trial.case.special and id(trial) in failed:
            return f"Your function is wrong even in the simple case where {trial.case.special}. "
    return ""


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, dict[str, Exercise]] = {}
_SCOREBOARD: dict[str, dict[str, Result]] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry and return it.

    Raises
    ------
    ValueError
        If an exercise with the same assignment and name is already registered.
    """
    chapter = _REGISTRY.setdefault(exercise.assignment, {})
    if exercise.name in chapter and chapter[exercise.name] is not exercise:
        raise ValueError(f"exercise {exercise.key!r} is registered twice")
    chapter[exercise.name] = exercise
    return exercise


def load_all() -> None:
    """Import every chapter module of :mod:`emlib.check` (``ch00``, ``ch01``...)."""
    package = importlib.import_module("emlib.check")
    for info in pkgutil.iter_modules(package.__path__):
        if re.fullmatch(r"ch\d+", info.name):
            importlib.import_module(f"emlib.check.{info.name}")


def assignments() -> list[str]:
    """Registered assignments, sorted (call :func:`load_all` first to see them all)."""
    return sorted(a for a, chapter in _REGISTRY.items() if chapter)


def exercises(assignment: str) -> list[Exercise]:
    """The exercises of ``assignment``, in registration order.

    Raises
    ------
    KeyError
        If the assignment has no exercise.
    """
    if assignment not in _REGISTRY or not _REGISTRY[assignment]:
        known = ", ".join(assignments()) or "none"
        raise KeyError(f"no exercises registered for assignment {assignment!r} (known: {known})")
    return list(_REGISTRY[assignment].values())


def get_exercise(assignment: str, name: str) -> Exercise:
    """One registered exercise."""
    for exercise in exercises(assignment):
        if exercise.name == name:
            return exercise
    raise KeyError(f"assignment {assignment!r} has no exercise {name!r}")


def score(assignment: str) -> tuple[int, int]:
    """``(points earned, points available)`` in this session for ``assignment``."""
    results = _SCOREBOARD.get(assignment, {})
    registered = _REGISTRY.get(assignment, {})
    available = sum(e.points for e in registered.values())
    available += sum(r.points for name, r in results.items() if name not in registered)
    earned = sum(r.earned for r in results.values())
    return earned, available


def show_score(assignment: str) -> None:
    """Show a table of the exercises checked so far (:func:`score` gives the numbers)."""
    results = _SCOREBOARD.get(assignment, {})
    earned, available = score(assignment)
    lines, rows = [], []
    for exercise in exercises(assignment):
        result = results.get(exercise.name)
        icon = result.icon if result else "·"
        status = "not checked yet" if result is None else result.status
        got = result.earned if result else 0
        lines.append(f"{icon} {exercise.title}: {got}/{exercise.points} ({status})")
        rows.append(
            f"<tr><td>{icon}</td><td>{_html(exercise.title)}</td>"
            f"<td style='text-align:right'>{got}/{exercise.points}</td>"
            f"<td>{_html(status)}</td></tr>"
        )
    headline = f"Score in {assignment}: {earned}/{available} points"
    table = f"<b>{_html(headline)}</b><table style='margin-top:0.3em'>{''.join(rows)}</table>"
    done = earned == available
    _display(
        _box(table, *(("#2e7d32", "#e8f5e9") if done else ("#1565c0", "#e3f2fd"))),
        "\n".join([headline, *lines]),
    )
