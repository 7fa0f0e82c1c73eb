"""The exercise-check framework, in process (no kernels): registry, verdicts, diagnoses, the
run-time forbidden-call detector, the safe codec, the kernel-side collector, and every
submission of ``tests/wrong_answers.py`` (plausible wrong answers and correct alternatives)."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from wrong_answers import SUBMISSIONS, Submission

import emlib
from emlib.check import (
    BUILTIN_MISTAKES,
    Case,
    CheckFailed,
    Diagnosis,
    Exercise,
    NotAttempted,
    Trial,
    assignments,
    exercises,
    fixed,
    load_all,
    random_cases,
)
from emlib.check import compare as cmp
from emlib.check import diagnoses as dx
from emlib.check._codec import Opaque, RawParams, decode, dumps, encode, loads
from emlib.check._source import suspicious_code

load_all()
ALL_EXERCISES = [e for a in assignments() for e in exercises(a)]


# --------------------------------------------------------------------------- the registry


def test_registry_has_the_chapter_3_exercises():
    names = [e.name for e in exercises("ch03")]
    assert names == ["log_sum_exp", "responsibilities"]
    assert [e.points for e in exercises("ch03")] == [2, 3]
    with pytest.raises(KeyError, match="no exercises registered"):
        exercises("ch99")


_PLANS: dict[str, tuple] = {}


def _grade(exercise: Exercise, answer):
    """``exercise.grade(answer)``, with the cases and reference answers computed once."""
    if exercise.key not in _PLANS:
        cases = exercise.grading_cases()
        inputs = [c.build() for c in cases]
        _PLANS[exercise.key] = (cases, inputs, [exercise.expected(i) for i in inputs])
    cases, inputs, expected = _PLANS[exercise.key]
    return exercise.evaluate_record(exercise.record(answer, inputs), cases, inputs, expected)


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_reference_passes_its_own_check(exercise):
    # the reference may run what students must not: grade it with no forbidden list
    result = _grade(replace(exercise, forbidden=(), require=()), exercise.reference)
    assert result.passed, result.to_text()
    assert result.earned == exercise.points


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_no_check_passes_a_constant_or_a_copy_of_the_input(exercise):
    constant = _PLANS[exercise.key][2][0] if exercise.key in _PLANS else None
    if constant is None:
        constant = exercise.expected(exercise.cases[0].build())
    verdicts = {
        "constant": _grade(exercise, lambda *args: constant),
        "copy of the first input": _grade(exercise, lambda *args: args[0]),
        "zeros": _grade(exercise, lambda *args: np.zeros_like(np.asarray(constant, dtype=float))),
    }
    for what, result in verdicts.items():
        assert not result.passed, f"{exercise.key} passes {what}"
        assert result.earned == 0
    assert verdicts["constant"].mistake == "constant-output"
    assert verdicts["copy of the first input"].mistake == "returned-input"


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_every_case_builds_and_diagnosis_names_are_new(exercise):
    assert not {d.name for d in exercise.diagnoses} & set(BUILTIN_MISTAKES)
    for case in exercise.cases:
        assert case.build(), f"{exercise.key}: case {case.title!r} has no inputs"


def test_grading_adds_fresh_reproducible_random_cases():
    exercise = exercises("ch03")[1]
    declared = exercise.grading_cases()
    graded = exercise.grading_cases(seed=7, n_extra=2)
    assert graded[: len(declared)] == declared
    extra = graded[len(declared) :]
    assert len(extra) == 2 and all(c.randomised for c in extra)
    assert {c.seed for c in extra}.isdisjoint({c.seed for c in declared})
    assert [c.seed for c in exercise.grading_cases(seed=7, n_extra=2)] == [c.seed for c in graded]
    assert [c.seed for c in exercise.grading_cases(seed=8, n_extra=2)] != [c.seed for c in graded]


def _tiny_exercise(**overrides) -> Exercise:
    settings = dict(
        assignment="tests",
        name="double",
        points=1,
        reference=lambda x: 2 * x,
        cases=[
            fixed("one", x=np.array([1.0, 2.0])),
            *random_cases(lambda rng: {"x": rng.normal(size=3)}),
        ],
    )
    settings.update(overrides)
    return Exercise(**settings)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"points": 0}, "points must be a positive int"),
        ({"points": 1.5}, "points must be a positive int"),
        ({"name": "not an identifier"}, "identifier"),
        ({"cases": []}, "at least one case"),
        ({"forbidden": ["e_step"]}, "dotted names"),
        ({"reference": 3}, "reference must be callable"),
        (
            {"diagnoses": [Diagnosis("same", "h", bool), Diagnosis("same", "h", bool)]},
            "unique",
        ),
    ],
)
def test_bad_exercise_definitions_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        _tiny_exercise(**overrides)


@pytest.mark.parametrize(
    ("name", "hint", "message"),
    [("No Caps", "h", "kebab-case"), ("exception", "h", "built-in"), ("fine", " ", "hint")],
)
def test_bad_diagnoses_are_refused(name, hint, message):
    with pytest.raises(ValueError, match=message):
        Diagnosis(name, hint, bool)


# --------------------------------------------------------------------------- verdicts


def test_generic_mistakes_are_named():
    exercise = _tiny_exercise()

    def mutates(x):
        x *= 2
        return x

    def not_done(x):
        raise NotImplementedError("double: write your code here")

    cases = {
        "returned-none": lambda x: None,
        "exception": lambda x: x / "a",
        "wrong-shape": lambda x: np.stack([2 * x, 2 * x]),
        "wrong-values": lambda x: 2 * x + 1,
        "non-finite": lambda x: np.full_like(x, np.nan),
        "wrong-type": lambda x: str(x),
        "modified-input": mutates,
        "returned-input": lambda x: x,
        "not-attempted": not_done,
        "not-callable": np.array([2.0, 4.0]),
    }
    for mistake, answer in cases.items():
        result = exercise.grade(answer)
        assert result.mistake == mistake, (mistake, result.to_text())
        assert not result.passed and result.message


def test_exercise_diagnoses_come_first_and_a_crashing_one_is_ignored():
    def crashes(trial):
        raise RuntimeError("bug in a diagnosis")

    exercise = _tiny_exercise(
        diagnoses=[
            Diagnosis("crashing", "never shown", crashes),
            dx.matches(lambda x: 3 * x, name="tripled", hint="You multiplied by 3."),
        ]
    )
    result = exercise.grade(lambda x: 3 * x)
    assert result.mistake == "tripled"
    assert result.message == "You multiplied by 3."
    assert result.case == "one"
    assert result.n_failed == result.n_cases == 4


def test_live_check_raises_an_assertion_with_the_hint_and_keeps_score(capsys, monkeypatch):
    exercise = _tiny_exercise(assignment="tests_live")
    from emlib.check import _framework

    # registered for this test only: the course's assignments stay as they are
    monkeypatch.setitem(_framework._REGISTRY, "tests_live", {})
    monkeypatch.setitem(_framework._SCOREBOARD, "tests_live", {})
    _framework.register(exercise)
    with pytest.raises(CheckFailed) as info:
        exercise.check(lambda x: x + x + 1)
    assert isinstance(info.value, AssertionError)
    assert "[wrong-values]" in str(info.value)
    with pytest.raises(NotAttempted):
        exercise.check(lambda x: (_ for _ in ()).throw(NotImplementedError()))
    exercise.check(lambda x: 2 * x)
    out = capsys.readouterr().out
    assert "❌" in out and "✏️" in out and "✅" in out
    assert "Score so far in tests_live: 1/1 points" in out
    assert emlib.check.score("tests_live") == (1, 1)


def test_result_renderings():
    exercise = _tiny_exercise()
    failed = exercise.grade(lambda x: x * 3)
    html = failed.to_html(footer="Score <b>")
    assert "❌" in html and "Score &lt;b&gt;" in html and "#c62828" in html
    assert failed.to_text().startswith("❌ double: not yet right (0/1 points)")
    passed = exercise.grade(lambda x: 2 * x)
    assert "✅" in passed.to_html() and "+1 points" in passed.to_markdown()
    assert passed.to_dict()["earned"] == 1


# --------------------------------------------------------------------------- diagnoses library


def _m_step_reference(X, resp):
    params = emlib.m_step(X, resp, covariance_type="full", reg_covar=0.0)
    return params.weights, params.means, params.covariances


def _m_step_student(X, resp, divide_by_n=False, asymmetric=False):
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = []
    for k in range(resp.shape[1]):
        diff = X - means[k]
        cov = (resp[:, k, None] * diff).T @ diff / (len(X) if divide_by_n else nk[k])
        if asymmetric:
            cov = cov + np.triu(np.full_like(cov, 0.1), 1)
        covs.append(cov)
    return nk / len(X), means, np.array(covs)


def _m_step_case(rng):
    X = rng.normal(size=(30, 2)) + rng.integers(0, 2, size=(30, 1)) * 4
    resp = rng.dirichlet([1.0, 1.0, 1.0], size=30)
    return {"X": X, "resp": resp}


M_STEP = Exercise(
    assignment="tests",
    name="m_step",
    points=3,
    reference=_m_step_reference,
    cases=random_cases(_m_step_case, seeds=(0, 1)),
    compare=cmp.close_each(["weights", "means", "covariances"]),
    diagnoses=[
        dx.matches(
            lambda X, resp: _m_step_student(X, resp, divide_by_n=True),
            name="divides-by-n",
            hint="Divide the covariance sums by N_k, not by N.",
            select=lambda out: out[2],
        ),
        dx.not_symmetric(select=lambda out: out[2]),
    ],
)


def test_m_step_mistakes_are_recognised():
    assert M_STEP.grade(_m_step_student).passed
    by_n = M_STEP.grade(lambda X, r: _m_step_student(X, r, divide_by_n=True))
    assert by_n.mistake == "divides-by-n"
    asym = M_STEP.grade(lambda X, r: _m_step_student(X, r, asymmetric=True))
    assert asym.mistake == "covariance-not-symmetric"
    assert "differs from its transpose" in asym.message
    wrong_count = M_STEP.grade(lambda X, r: _m_step_student(X, r)[:2])
    assert wrong_count.mistake == "wrong-type"


def _trial(output, expected, **inputs):
    return Trial(Case("t", lambda rng: inputs), inputs, expected, output=output)


def test_decreasing_log_likelihood():
    diagnosis = dx.decreasing()
    assert diagnosis.run(_trial([-10.0, -9.0, -9.5], [-10.0, -9.0, -8.9])) is not None
    assert "at step 2" in diagnosis.run(_trial([-10.0, -9.0, -9.5], [0.0]))
    assert diagnosis.run(_trial([-10.0, -9.0, -9.0], [0.0])) is None


def test_property_diagnoses():
    rows = dx.rows_not_normalised()
    assert "row 1 sums to 2" in rows.run(_trial(np.array([[0.5, 0.5], [1.0, 1.0]]), np.eye(2)))
    assert rows.run(_trial(np.array([[0.5, 0.5], [np.nan, np.nan]]), np.eye(2))) is None
    assert rows.run(_trial(np.ones((3, 2)), np.eye(2))) is None  # wrong shape: not its business
    finite = dx.non_finite(name="underflow", hint="h")
    assert "index [1]" in finite.run(_trial(np.array([1.0, np.nan]), np.array([1.0, 2.0])))
    negative = dx.negative_values(name="logs", hint="h")
    assert negative.run(_trial(np.array([-1.0, 0.5]), np.array([0.5, 0.5]))) is not None
    sym = dx.not_symmetric()
    assert sym.run(_trial(SimpleNamespace(covariances=np.array([[1.0, 0.2], [0.0, 1.0]])), None))
    assert sym.run(_trial(np.eye(2), np.eye(2))) is None


def test_matches_ignores_cases_where_the_mistake_makes_no_difference():
    diagnosis = dx.matches(lambda x: np.abs(x), name="abs", hint="h")
    x = np.array([1.0, 2.0])
    assert diagnosis.run(_trial(np.abs(x), x, x=x)) is None
    y = np.array([-1.0, 2.0])
    assert diagnosis.run(_trial(np.abs(y), y, x=y)) == ""


# --------------------------------------------------------------------------- the codec


def test_codec_round_trip():
    params = emlib.make_blobs(n_samples=10, random_state=0).params
    value = {
        "a": np.arange(6.0).reshape(2, 3),
        "t": (1, 2.5, np.nan, -np.inf, True, None, "s"),
        "l": [np.int64(3), np.float32(1.5), np.bool_(True)],
        "p": params,
        "c": 1 + 2j,
    }
    text = dumps(value)
    json.loads(text)  # strict JSON: no bare NaN
    assert "NaN" not in text
    back = loads(text)
    np.testing.assert_array_equal(back["a"], value["a"])
    assert back["t"][:2] == (1, 2.5) and np.isnan(back["t"][2]) and back["t"][3] == -np.inf
    assert back["t"][4:] == (True, None, "s")
    assert back["l"] == [3, 1.5, True]
    assert isinstance(back["p"], emlib.MixtureParams)
    np.testing.assert_array_equal(back["p"].means, params.means)


def test_codec_keeps_invalid_parameters_raw_and_other_objects_opaque():
    raw = RawParams(np.array([0.5, 0.5]), np.zeros((2, 1)), np.array([[[1.0]], [[-1.0]]]), "full")
    back = loads(dumps(raw))
    assert isinstance(back, RawParams)
    assert back.covariances[1, 0, 0] == -1.0
    opaque = loads(dumps(lambda: 0))
    assert isinstance(opaque, Opaque) and opaque.type_name == "function"
    assert isinstance(loads(dumps(np.array([object()], dtype=object))), Opaque)


def test_codec_never_unpickles():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    payload = {"__ndarray__": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(ValueError):
        decode(payload)
    with pytest.raises(ValueError, match="unknown tag"):
        decode({"__reduce__": "os.system"})
    assert encode(Opaque("x", "y")) != {}


# --------------------------------------------------------------------------- suspicious code


def test_suspicious_code():
    findings = suspicious_code(
        [
            "import numpy as np\nfrom emlib.check import ch03",
            "ch03.check_log_sum_exp = print",
            "np.allclose = lambda *a: True",
            "setattr(np, 'isclose', None)",
            "import emlib.check._harness",
            "x = {'a': 1}\nx['a'] = 2\nparams = object()",
        ]
    )
    text = " | ".join(findings)
    assert "ch03.check_log_sum_exp" in text and "np.allclose" in text
    assert "setattr" in text and "_harness" in text
    assert len(findings) == 4
    clean = ["import numpy as np", "a = np.zeros(3)\na[0] = 1", "def f(x):\n    x.y = 1"]
    assert suspicious_code(clean) == []


# --------------------------------------------------------------------------- the detector


def _grade_e_step_answer(answer):
    return exercises("ch03")[1].grade(answer)


def test_forbidden_calls_are_caught_whatever_leads_to_them():
    import importlib
    import threading

    from emlib import e_step as renamed

    def direct(X, params):
        return emlib.e_step(X, params)[0]

    def aliased(X, params):
        return renamed(X, params)[0]

    def computed_name(X, params):
        return getattr(__import__("em" + "lib"), "e" + "_step")(X, params)[0]

    def through_importlib(X, params):
        return importlib.import_module("emlib").log_responsibilities(X, params)[0].__array__()

    def through_a_thread(X, params):
        out = {}
        worker = threading.Thread(target=lambda: out.update(r=emlib.e_step(X, params)[0]))
        worker.start()
        worker.join()
        return out["r"]

    namespace: dict = {"np": np}
    exec(  # a copy of the library's source, exec'd under another name
        "import inspect, textwrap, emlib\n"
        "src = textwrap.dedent(inspect.getsource(emlib.core.em.e_step))\n"
        "code = compile(src, 'mine', 'exec')\n"
        "ns = dict(vars(emlib.core.em))\n"
        "exec(code, ns)\n"
        "def copied(X, params):\n"
        "    return ns['e_step'](X, params)[0]\n",
        namespace,
    )
    for answer in (direct, aliased, computed_name, through_a_thread, namespace["copied"]):
        result = _grade_e_step_answer(answer)
        assert result.mistake == "forbidden-call", (answer, result.to_text())
        assert "`emlib.e_step`" in result.message
    result = _grade_e_step_answer(lambda X, p: np.exp(through_importlib(X, p)))
    assert result.mistake == "forbidden-call" and "log_responsibilities" in result.message


def test_turning_the_monitor_off_is_caught():
    import sys

    def switch_off(X, params):
        hook = sys.getprofile()
        sys.setprofile(None)
        out = emlib.e_step(X, params)[0]
        sys.setprofile(hook)
        return out

    def replace_hook(X, params):
        sys.setprofile(lambda *args: None)
        return emlib.e_step(X, params)[0]

    for answer in (switch_off, replace_hook):
        result = _grade_e_step_answer(answer)
        assert result.mistake == "forbidden-call" and "monitor" in result.message
    assert sys.getprofile() is None


def test_a_patched_library_function_is_reported():
    original = emlib.e_step

    def mine(X, params):
        return original(X, params)

    emlib.e_step = mine
    try:
        result = _grade_e_step_answer(lambda X, p: emlib.e_step(X, p)[0])
    finally:
        emlib.e_step = original
    assert result.mistake == "forbidden-call" and "replaced" in result.message


def test_own_helpers_named_like_library_functions_are_not_forbidden():
    def e_step(X, params):  # the student's own, same name as emlib's
        log_joint = np.log(params.weights) + emlib.component_log_densities(X, params)
        top = log_joint.max(axis=1, keepdims=True)
        log_norm = top + np.log(np.exp(log_joint - top).sum(axis=1, keepdims=True))
        return np.exp(log_joint - log_norm)

    def responsibilities(X, params):
        return e_step(X, params)

    assert _grade_e_step_answer(responsibilities).passed


def test_own_functions_that_must_or_must_not_run():
    from emlib.check import ch07

    namespace: dict = {"np": np, "emlib": emlib}
    exec(
        "def elbo(X, resp, params):\n"
        "    return emlib.elbo.__wrapped__(X, resp, params) if False else 0.0\n"
        "def kl_gap(X, resp, params):\n"
        "    return emlib.log_likelihood.__call__(X, params) - elbo(X, resp, params)\n",
        namespace,
    )
    result = ch07.KL_GAP.grade(namespace["kl_gap"])
    assert result.mistake == "forbidden-call"
    assert "`emlib.log_likelihood`" in result.message or "your own `elbo`" in result.message


# --------------------------------------------------------------------------- one path


def _kernel_collector():
    """The grader's kernel-side collector, installed as the grader installs it."""
    from emlib.check._harness import install_source

    kernel_globals: dict = {"get_ipython": lambda: None}
    exec(install_source("_collector_under_test"), kernel_globals)
    return kernel_globals["_collector_under_test"]


def _grade_through_collector(exercise, namespace, tmp_path):
    collect = _kernel_collector()
    cases = exercise.grading_cases()
    inputs = [c.build() for c in cases]
    expected = [exercise.expected(i) for i in inputs]
    in_path, out_path = tmp_path / "in.json", tmp_path / "out.json"
    in_path.write_text(dumps(inputs), encoding="utf-8")
    collect(namespace, exercise.target, exercise.watch, str(in_path), str(out_path))
    record = json.loads(out_path.read_text(encoding="utf-8"))
    return exercise.evaluate_record(record, cases, inputs, expected)


COLLECTOR_SUBMISSIONS = [
    "ch03.log_sum_exp",
    "ch03.responsibilities",
    "ch07.kl_gap",
    "ch07.decomposition",
    "ch08.choose_k",
]


@pytest.mark.parametrize("key", COLLECTOR_SUBMISSIONS)
def test_notebook_verdict_equals_collector_verdict(key, tmp_path):
    """The same function gets the same Result from the notebook check and the grader's path."""
    assignment, name = key.split(".")
    exercise = next(e for e in exercises(assignment) if e.name == name)
    compared = 0
    for submission in [s for s in SUBMISSIONS if s.key == key]:
        namespace = _submission_namespace(submission)
        notebook = exercise.grade(namespace[exercise.target])
        grader = _grade_through_collector(exercise, namespace, tmp_path)
        assert notebook.to_dict() == grader.to_dict(), submission.description
        compared += 1
    assert compared >= 4
    empty = {"np": np}
    assert _grade_through_collector(exercise, empty, tmp_path).mistake == "missing"


# --------------------------------------------------------------------------- submissions


ROOT = Path(__file__).resolve().parent.parent
_SOLUTIONS = {p.name[:2]: p for p in (ROOT / "solutions").glob("*_solution.ipynb")}
_DEFINITIONS: dict[str, str] = {}


def _definitions(assignment: str) -> str:
    """The solution's imports and definitions (no computations, no checks), as one source."""
    import ast

    if assignment not in _DEFINITIONS:
        nb = nbformat.read(_SOLUTIONS[assignment[2:]], as_version=4)
        parts = []
        for cell in nb.cells:
            if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):
                continue
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)):
                    parts.append(ast.get_source_segment(cell.source, node))
        _DEFINITIONS[assignment] = "\n\n".join(parts)
    return _DEFINITIONS[assignment]


_NOTEBOOK_GLOBALS = {  # globals some appended code uses, built like the notebook does
    "ch07": "X, params0 = ch07.faithful_start()\n",
    "ch08": "X = load_old_faithful().X\n"
    "fits = {k: GaussianMixture(n_components=k, covariance_type='diag', n_init=5,\n"
    "                           random_state=0).fit(X) for k in range(1, 7)}\n",
}
_GLOBALS: dict[str, dict] = {}


def _notebook_globals(assignment: str) -> dict:
    """The chapter's data (computed once), for code appended after the definitions."""
    if assignment not in _GLOBALS:
        namespace: dict = {}
        exec(_definitions(assignment) + "\n\n" + _NOTEBOOK_GLOBALS.get(assignment, ""), namespace)
        _GLOBALS[assignment] = {k: namespace[k] for k in ("X", "params0", "fits") if k in namespace}
    return _GLOBALS[assignment]


def _submission_namespace(submission: Submission) -> dict:
    source = _definitions(submission.assignment)
    for old, new in submission.replace:
        assert old in source, f"{submission.description}: {old!r} is not in the solution"
        source = source.replace(old, new)
    namespace: dict = {"__name__": "__main__"}
    if submission.append:
        namespace.update(_notebook_globals(submission.assignment))
        source += "\n\n" + submission.append
    exec(compile(source, f"<{submission.key}: {submission.description}>", "exec"), namespace)
    return namespace


def _grade_submission(submission: Submission):
    exercise = next(e for e in exercises(submission.assignment) if e.name == submission.name)
    answer = _submission_namespace(submission)[exercise.target]
    return exercise, _grade(exercise, answer)


_RESULTS: dict[int, object] = {}


def _result_of(submission: Submission):
    if id(submission) not in _RESULTS:
        _RESULTS[id(submission)] = _grade_submission(submission)
    return _RESULTS[id(submission)]


#: Mistake ids that say what is wrong only as "the values differ".
_GENERIC = {"wrong-values", "non-finite", "exception"}


@pytest.mark.parametrize(
    "submission", SUBMISSIONS, ids=[f"{s.key}-{s.description[:40]}" for s in SUBMISSIONS]
)
def test_submission_gets_its_verdict(submission):
    exercise, result = _result_of(submission)
    if submission.expect is None:
        assert result.passed, result.to_text()
        return
    assert result.earned == 0, f"{submission.description!r} passed"
    assert result.mistake == submission.expect, result.to_text()
    assert result.message
    hint = {d.name: d.hint for d in exercise.diagnoses}.get(result.mistake)
    if hint is not None:
        assert result.message.startswith(hint)


def test_most_hints_name_or_localise_the_mistake():
    """The issue's target: every wrong answer marked down (asserted above, with the exact
    mistake, so no hint names a mistake the submission did not make) and at least 80% with a
    hint that names the mistake or localises it ("right when ..., wrong otherwise")."""
    wrong = [s for s in SUBMISSIONS if s.expect is not None]
    helpful = 0
    for submission in wrong:
        _, result = _result_of(submission)
        assert not result.passed
        localised = result.message.startswith("Your function is right when") or (
            result.message.startswith("Your function is wrong even")
        )
        helpful += result.mistake not in _GENERIC or localised
    assert helpful >= 0.8 * len(wrong), f"{helpful} of {len(wrong)}"


def test_the_solutions_pass_in_process():
    for assignment in [a for a in assignments() if a.startswith("ch")]:
        namespace = _submission_namespace(Submission(f"{assignment}.x", "solution", None))
        for exercise in exercises(assignment):
            result = _grade(exercise, namespace[exercise.target])
            assert result.passed, (exercise.key, result.to_text())


def test_every_exercise_has_wrong_answers_and_a_correct_alternative():
    for exercise in ALL_EXERCISES:
        mine = [s for s in SUBMISSIONS if s.key == exercise.key]
        assert sum(s.expect is not None for s in mine) >= 4, exercise.key
        assert any(s.expect is None for s in mine), exercise.key


def test_unregistered_mistakes_are_localised_by_the_special_cases():
    exercise = _tiny_exercise(
        reference=lambda x, w: x * w,
        cases=[
            fixed("w = 1", x=np.array([1.0, 2.0]), w=1.0, special="w = 1", focus="look at w"),
            fixed("w = 3", x=np.array([4.0, 5.0]), w=3.0),
        ],
    )
    only_special = exercise.grade(lambda x, w: x * w if w == 1 else 2 * x)
    assert only_special.mistake == "wrong-values"
    assert only_special.message.startswith(
        "Your function is right when w = 1, but wrong otherwise: look at w."
    )
    wrong_everywhere = exercise.grade(lambda x, w: x * w + 1)
    assert wrong_everywhere.message.startswith(
        "Your function is wrong even in the simple case where w = 1."
    )


def test_a_known_mistake_is_named_only_where_it_is_reproduced_everywhere():
    def tripled_on_small_values(x):
        return np.where(np.abs(x) < 1.5, 3 * x, 2 * x + 0.5)

    exercise = _tiny_exercise(
        diagnoses=[dx.matches(lambda x: 3 * x, name="tripled", hint="You multiplied by 3.")]
    )
    assert exercise.grade(lambda x: 3 * x).mistake == "tripled"
    # equal to 3x on one entry of one case only: the mistake is not named
    assert exercise.grade(tripled_on_small_values).mistake == "wrong-values"


def test_malformed_records_are_refused():
    exercise = _tiny_exercise()
    cases = list(exercise.cases)
    inputs = [c.build() for c in cases]
    expected = [exercise.expected(i) for i in inputs]
    for record in (
        {"status": "ok", "trials": []},
        {"status": "ok", "trials": [{"output": {"__pickle__": "x"}}] * len(cases)},
        {"status": "ok", "trials": [{}] * len(cases), "forbidden": 3},
        {"status": "weird"},
    ):
        with pytest.raises(ValueError):
            exercise.evaluate_record(record, cases, inputs, expected)
    missing = exercise.evaluate_record({"status": "missing"}, cases, inputs, expected)
    assert missing.mistake == "missing" and "`double`" in missing.message


def test_the_same_seed_must_give_the_same_sample():
    from emlib.check import ch01

    def unseeded(n_samples, weights, means, stds, seed):
        rng = np.random.default_rng()
        z = rng.choice(len(weights), size=n_samples, p=weights)
        return rng.normal(np.asarray(means)[z], np.asarray(stds)[z]), z

    result = _grade(ch01.SAMPLE_MIXTURE_1D, unseeded)
    assert result.mistake == "not-reproducible" and "same `seed`" in result.message
