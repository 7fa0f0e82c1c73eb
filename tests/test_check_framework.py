"""The exercise-check framework, in process (no kernels): registry, verdicts, diagnoses,
the safe codec and the static analysis the grader relies on."""

from __future__ import annotations

import base64
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest

import emlib
from emlib.check import (
    BUILTIN_MISTAKES,
    Case,
    CheckFailed,
    Diagnosis,
    Exercise,
    NotAttempted,
    Trial,
    WrongAnswer,
    assignments,
    exercises,
    fixed,
    load_all,
    random_cases,
)
from emlib.check import compare as cmp
from emlib.check import diagnoses as dx
from emlib.check._codec import Opaque, RawParams, decode, dumps, encode, loads
from emlib.check._framework import forbidden_call_in_function
from emlib.check._source import forbidden_call_in_notebook, suspicious_code

load_all()
ALL_EXERCISES = [e for a in assignments() for e in exercises(a)]


def _reference_answer(exercise: Exercise):
    if exercise.kind == "value":
        return exercise.reference()
    return exercise.reference


# --------------------------------------------------------------------------- the registry


def test_registry_has_the_chapter_3_exercises():
    names = [e.name for e in exercises("ch03")]
    assert names == ["log_sum_exp", "responsibilities"]
    assert [e.points for e in exercises("ch03")] == [2, 3]
    with pytest.raises(KeyError, match="no exercises registered"):
        exercises("ch99")


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_reference_passes_its_own_check(exercise):
    # evaluate(run(...)): the reference may use the names that students must not use
    result = exercise.evaluate(exercise.run(_reference_answer(exercise)))
    assert result.passed, result.to_text()
    assert result.earned == exercise.points


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_no_check_passes_a_constant_or_a_copy_of_the_input(exercise):
    if exercise.kind == "value":
        assert not exercise.grade(0.0).passed
        return
    first = exercise.cases[0].build()
    constant = exercise.expected(first)
    verdicts = {
        "constant": exercise.grade(lambda *args: constant),
        "copy of the first input": exercise.grade(lambda *args: args[0]),
        "zeros": exercise.grade(lambda *args: np.zeros_like(np.asarray(constant, dtype=float))),
    }
    for what, result in verdicts.items():
        assert not result.passed, f"{exercise.key} passes {what}"
        assert result.earned == 0
    assert verdicts["constant"].mistake == "constant-output"
    assert verdicts["copy of the first input"].mistake == "returned-input"


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.key)
def test_every_diagnosis_and_wrong_answer_is_well_formed(exercise):
    assert len(exercise.wrong_answers) >= 2
    diagnosed = {d.name for d in exercise.diagnoses}
    for wrong in exercise.wrong_answers:
        assert wrong.expect in diagnosed | set(BUILTIN_MISTAKES)
        assert wrong.replace and all(old != new for old, new in wrong.replace)
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
        ({"kind": "value"}, "takes no cases"),
        ({"kind": "widget"}, "kind must be"),
        ({"reference": 3}, "reference must be callable"),
        (
            {"diagnoses": [Diagnosis("same", "h", bool), Diagnosis("same", "h", bool)]},
            "unique",
        ),
        ({"wrong_answers": [WrongAnswer("x", [("a", "b")], expect="no-such-mistake")]}, "neither"),
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


def test_live_check_raises_an_assertion_with_the_hint_and_keeps_score(capsys):
    exercise = _tiny_exercise(assignment="tests_live")
    from emlib.check import _framework

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


def test_value_exercise():
    exercise = Exercise("tests", "answer", 1, reference=lambda: np.float64(42.0), kind="value")
    assert exercise.grade(42.0).passed
    result = exercise.grade(41.0)
    assert result.mistake == "wrong-values" and "42" in result.message


def test_live_forbidden_call_is_found_through_aliases_and_helpers():
    from emlib import e_step as renamed

    def direct(X, params):
        return emlib.e_step(X, params)[0]

    def aliased(X, params):
        return renamed(X, params)[0]

    def helper(X, params):
        return direct(X, params)

    def clean(X, params):
        return emlib.component_log_densities(X, params)

    forbidden = ("e_step",)
    assert forbidden_call_in_function(direct, forbidden) == "e_step"
    assert forbidden_call_in_function(aliased, forbidden) == "e_step"
    assert forbidden_call_in_function(helper, forbidden) == "e_step"
    assert forbidden_call_in_function(clean, forbidden) is None
    result = exercises("ch03")[1].grade(direct)
    assert result.mistake == "forbidden-call" and "`e_step`" in result.message


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


# --------------------------------------------------------------------------- static analysis


def test_forbidden_call_in_notebook_sources():
    cells = [
        "import emlib\nfrom emlib import e_step as es",
        "def helper(X, p):\n    return es(X, p)[0]",
        "def responsibilities(X, p):\n    return helper(X, p)",
        "def clean(X, p):\n    # e_step is mentioned in a comment\n    return 'e_step'",
        "%timeit clean(1, 2)",
        "def broken(:\n",
    ]
    forbidden = ["e_step"]
    assert forbidden_call_in_notebook(cells, "responsibilities", forbidden) == "e_step"
    assert forbidden_call_in_notebook(cells, "helper", forbidden) == "e_step"
    assert forbidden_call_in_notebook(cells, "clean", forbidden) is None
    assert forbidden_call_in_notebook(cells, "missing", forbidden) is None
    assert forbidden_call_in_notebook(["f = emlib.e_step"], "f", forbidden) == "e_step"
    direct = ["def r(X, p):\n    return emlib.e_step(X, p)[0]"]
    assert forbidden_call_in_notebook(direct, "r", forbidden) == "e_step"


def test_local_variables_are_not_the_notebooks_globals():
    # A parameter or local variable that shares its name with a top-level variable computed
    # by a forbidden function (or with the forbidden name itself) is not a forbidden call.
    cells = [
        "resp, _ = emlib.e_step(X, params)",
        "def kl(X, resp, params):\n    return (resp * np.log(resp)).sum()",
        "def e_step_total(X):\n    e_step = X.sum()\n    return e_step",
        "def uses_global(X):\n    return resp.sum()",
    ]
    forbidden = ["e_step"]
    assert forbidden_call_in_notebook(cells, "kl", forbidden) is None
    assert forbidden_call_in_notebook(cells, "e_step_total", forbidden) is None
    assert forbidden_call_in_notebook(cells, "uses_global", forbidden) == "e_step"


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
