"""Stage 2, from the parent's side: run one submission in a bubblewrap sandbox.

Each submission gets a private scratch folder from :func:`tempfile.mkdtemp` (an unpredictable
name) holding only its own copy of the notebook and the inputs the parent generated. The
sandbox (``bwrap``, Debian package ``bubblewrap``) runs :mod:`emlib.grade.worker` with

* a read-only view of the system (``/usr``, ``/etc``), of the Python installation and of the
  ``emlib`` package alone, so nothing (a ``.pth`` file in site-packages, an edited check)
  can be left behind for the next submission;
* a private, size-limited, writable ``/tmp``, home and working folder, in memory and thrown
  away afterwards;
* no network and no view of the host's processes (``--unshare-all`` or, as root, every
  namespace but the user one);
* no view of other submissions, of the solutions or of the output folder: only the
  submission's scratch folder is mounted, read-only, at ``/grade``;
* limits on address space, CPU time, file size and processes (``setrlimit`` in the worker,
  which, started as root, also becomes a user id of its own that no account uses, before any
  student code exists);
* ``--die-with-parent`` and a pid namespace: when the worker ends, or the parent kills the
  sandbox at its hard time limit, every process of the submission dies with it, detached or
  not.

The worker writes its result to its standard output, a file in the part of the scratch
folder that the sandbox does not see. The parent reads it only once every process of the
sandbox is gone, refuses oversized files, and validates it against :data:`RESULT_SCHEMA`
before scoring (:mod:`emlib.grade.score`).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .options import GradingOptions
from .worker import kill_group

__all__ = [
    "RESULT_SCHEMA",
    "Outcome",
    "SandboxUnavailable",
    "check_sandbox",
    "font_cache",
    "prepare_job",
    "run_submission",
]

#: Where the submission's scratch folder appears inside the sandbox.
JOB_MOUNT = "/grade"
HOME = "/home/student"
#: Room for the collector's answers inside the sandbox, in MiB.
_MAX_ANSWER_MB = 256

_TRIAL = {
    "type": "object",
    "properties": {
        "output": {},
        "error_type": {"type": "string", "maxLength": 200},
        "error": {"type": "string", "maxLength": 2000},
        "mutated": {"type": "array", "items": {"type": "string", "maxLength": 200}},
    },
    "additionalProperties": False,
}
#: The shape of ``out/result.json``: anything else is a grader error for that submission.
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["notes", "records"],
    "additionalProperties": False,
    "properties": {
        "notes": {"type": "array", "maxItems": 100, "items": {"type": "string"}},
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status"],
                "additionalProperties": False,
                "properties": {
                    "status": {
                        "enum": [
                            "ok",
                            "missing",
                            "not-callable",
                            "timeout",
                            "kernel-died",
                            "harness-error",
                        ]
                    },
                    "type": {"type": "string", "maxLength": 200},
                    "error": {"type": "string", "maxLength": 2000},
                    "trials": {"type": "array", "maxItems": 1000, "items": _TRIAL},
                    "forbidden": {"type": ["string", "null"], "maxLength": 500},
                    "unused": {
                        "type": "array",
                        "maxItems": 100,
                        "items": {"type": "string", "maxLength": 200},
                    },
                },
            },
        },
    },
}


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


@dataclass
class Outcome:
    """What came back from running one submission.

    Attributes
    ----------
    result : dict or None
        The validated content of ``out/result.json``; ``None`` if there is none.
    problem : str or None
        Why there is no result (the worker crashed, the file was invalid...).
    timed_out : bool
        Whether the sandbox was killed at its hard time limit.
    """

    result: dict[str, Any] | None
    problem: str | None
    timed_out: bool


_INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
    "`sudo dnf install bubblewrap`), or grade without a sandbox on purpose with "
    "`--no-sandbox` (student code then runs with your permissions: only for trusted "
    "notebooks, or inside a throw-away container)."
)


def check_sandbox() -> None:
    """Make sure bubblewrap can sandbox a process here.

    Raises
    ------
    SandboxUnavailable
        With what to install, or how to run without a sandbox on purpose.
    """
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "the grader runs every submission in a bubblewrap sandbox, and `bwrap` is not "
            "installed. " + _INSTALL_HINT
        )
    probe = subprocess.run(
        [*_bwrap_prefix(), "--", sys.executable, "-c", "pass"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_environment(JOB_MOUNT, sandboxed=True),
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap is installed but could not create a sandbox here "
            f"({probe.stderr.strip()[-300:] or f'exit status {probe.returncode}'}); user "
            "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1). "
            + _INSTALL_HINT
        )


def _emlib_dir() -> Path:
    import emlib

    return Path(emlib.__file__).resolve().parent


def _python_roots() -> list[Path]:
    """Folders of the Python installation the worker and the kernel need (read-only)."""
    candidates = {
        Path(p).resolve()
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    }
    candidates.add(Path(sys.executable).resolve().parent.parent)
    roots = []
    for path in sorted(candidates, key=lambda p: len(p.parts)):
        if path == Path("/") or path.is_relative_to("/usr"):
            continue
        if not any(path.is_relative_to(r) for r in roots):
            roots.append(path)
    return roots


def _bwrap_prefix(scratch_mounts: tuple[str, ...] = ()) -> list[str]:
    """The ``bwrap`` options shared by every sandbox (no job folder, no command).

    ``scratch_mounts`` (the private ``/tmp`` and home) come before the read-only binds and
    the folders above them, so that a Python installation under ``/tmp`` or ``/home`` stays
    visible and reachable.
    """
    args = ["bwrap", "--die-with-parent", "--new-session"]
    if os.getuid() == 0:
        # As root, a user namespace would keep every capability inside; instead the worker
        # becomes an unused user id, so the process limit applies and no capability remains.
        args += [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
    else:
        args += ["--unshare-all"]
    binds = [*_python_roots(), _emlib_dir()]
    # The private /tmp and home first: a Python installation below them (a clone in /tmp)
    # is bound on top of them below.
    args += scratch_mounts
    # bwrap would create the folders above a mount point private to root (0700): the
    # sandbox's user could not reach the Python installation (or its home) through them.
    # Made after the scratch mounts, so that those under /tmp or home are made inside them.
    made: set[Path] = set()
    for path in [*binds, Path(HOME)]:
        for parent in reversed(path.parents[:-1]):
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
    args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for path in binds:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    return args


def _sandbox_command(job_dir: Path, options: GradingOptions) -> list[str]:
    size = str(options.tmp_mb * 2**20)
    scratch = ("--size", size, "--perms", "1777", "--tmpfs", "/tmp")
    scratch += ("--size", size, "--perms", "1777", "--tmpfs", HOME)
    return [
        *_bwrap_prefix(scratch),
        # The job folder is read-only; its two writable folders are in memory, so a
        # submission can fill neither the grader's disk nor the parent's view of the job.
        *("--ro-bind", str(job_dir), JOB_MOUNT),
        *("--size", size, "--perms", "1777", "--tmpfs", f"{JOB_MOUNT}/work"),
        *("--size", str(_MAX_ANSWER_MB * 2**20), "--perms", "1777", "--tmpfs", f"{JOB_MOUNT}/out"),
        *("--chdir", f"{JOB_MOUNT}/work"),
        "--",
        sys.executable,
        "-m",
        "emlib.grade.worker",
        JOB_MOUNT,
    ]


def _environment(job: str, sandboxed: bool) -> dict[str, str]:
    """A minimal environment: nothing of the grader's own (tokens, paths) leaks in."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "PYTHONPATH": str(_emlib_dir().parent),
        "LANG": "C.UTF-8",
        "JUPYTER_PREFER_ENV_PATH": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    if sandboxed:
        env |= {
            "HOME": HOME,
            "TMPDIR": "/tmp",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
            "MPLCONFIGDIR": "/tmp/matplotlib",
            # a user id per sandbox (used when started as root), far above real accounts
            "EMLIB_GRADE_UID": str(2**20 + secrets.randbelow(2**20)),
        }
    else:
        env |= {
            "HOME": f"{job}/work",
            "TMPDIR": f"{job}/work",
            "JUPYTER_RUNTIME_DIR": f"{job}/work/.jupyter-runtime",
            "MPLCONFIGDIR": f"{job}/work/.matplotlib",
        }
    return env


def _limits(options: GradingOptions, n_exercises: int) -> dict[str, int]:
    limits = {
        "RLIMIT_AS": options.memory_mb * 2**20,
        "RLIMIT_CPU": math.ceil(options.hard_limit(n_exercises)),
        "RLIMIT_FSIZE": max(options.tmp_mb, 256) * 2**20,
        "RLIMIT_CORE": 0,
    }
    if options.sandbox:  # counted per user: only meaningful for the sandbox's own user
        limits["RLIMIT_NPROC"] = options.max_processes
    return limits


def font_cache(scratch: Path) -> Path:
    """Build matplotlib's font cache once per run, for every submission to start from.

    A sandbox starts with an empty home, and matplotlib would otherwise spend seconds
    building this cache in every notebook that imports it.
    """
    folder = scratch / "matplotlib"
    folder.mkdir()
    env = _environment(str(scratch), sandboxed=False) | {"MPLCONFIGDIR": str(folder)}
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,  # without a cache, notebooks are only slower
    )
    return folder


def prepare_job(
    notebook_text: str,
    exercises: list[dict[str, Any]],
    inputs: list[str],
    collector: str,
    options: GradingOptions,
    scratch: Path,
    fonts: Path | None = None,
) -> Path:
    """Write a submission's private scratch folder; return the job folder in it.

    ``inputs[i]`` is the encoded list of input dicts of ``exercises[i]``; ``fonts`` is the
    run's :func:`font_cache`, copied to ``matplotlib/``.
    """
    folder = Path(tempfile.mkdtemp(prefix="sub-", dir=scratch))
    job = folder / "job"
    for sub in ("", "cases", "work", "out"):
        (job / sub).mkdir()
    if fonts is not None:
        shutil.copytree(fonts, job / "matplotlib")
    (job / "submission.ipynb").write_text(notebook_text, encoding="utf-8")
    for i, text in enumerate(inputs):
        (job / "cases" / f"{i}.json").write_text(text, encoding="utf-8")
    spec = {
        "options": {
            "timeout": options.timeout,
            "cell_timeout": options.cell_timeout,
            "check_timeout": options.check_timeout,
        },
        "exercises": exercises,
        "collector": collector,
        "limits": _limits(options, len(exercises)),
    }
    (job / "job.json").write_text(json.dumps(spec), encoding="utf-8")
    for path in [job, *job.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return job


def _read_result(path: Path, max_bytes: int) -> dict[str, Any]:
    """Read and validate the worker's result (not too big, the right shape)."""
    import jsonschema

    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if not data:
        raise ValueError("the worker wrote no result")
    if len(data) > max_bytes:
        raise ValueError(f"the result is larger than {max_bytes // 2**20} MB")
    try:
        result = json.loads(data.decode("utf-8"))
        jsonschema.validate(result, RESULT_SCHEMA)
    except (ValueError, jsonschema.ValidationError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise ValueError(f"the result is malformed ({first})") from None
    return result


def run_submission(job: Path, options: GradingOptions, n_exercises: int) -> Outcome:
    """Run the worker on ``job`` (sandboxed unless ``options.sandbox`` is false); wait for it."""
    log = job.parent / "worker.log"  # outside the folder the sandbox sees
    channel = job.parent / "result.json"
    if options.sandbox:
        command = _sandbox_command(job, options)
        env = _environment(JOB_MOUNT, sandboxed=True)
    else:
        command = [sys.executable, "-m", "emlib.grade.worker", str(job)]
        env = _environment(str(job), sandboxed=False)
    timed_out = False
    with open(log, "wb") as handle, open(channel, "wb") as result_file:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=result_file,
            stderr=handle,
            env=env,
            cwd=job / "work",
            start_new_session=True,
        )
        try:
            proc.wait(timeout=options.hard_limit(n_exercises))
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _stop(proc, job, options.sandbox)
    if timed_out:
        return Outcome(None, "timeout", True)
    try:
        result = _read_result(channel, 64 * 2**20 * (n_exercises + 1))
    except ValueError as exc:
        tail = log.read_bytes()[-1500:].decode("utf-8", errors="replace").strip()
        last = tail.splitlines()[-1] if tail else f"exit status {proc.returncode}"
        return Outcome(None, f"{exc}; the worker said: {last[:300]}", False)
    if len(result["records"]) != n_exercises:
        problem = f"{len(result['records'])} answers for {n_exercises} exercises"
        return Outcome(None, problem, False)
    return Outcome(result, None, False)


def _stop(proc: subprocess.Popen[bytes], job: Path, sandboxed: bool) -> None:
    """Kill the worker and everything it started.

    In the sandbox, killing bwrap kills the sandbox's pid 1 (``--die-with-parent``) and with
    it every process of the pid namespace. Without a sandbox, the worker's and the kernels'
    process groups are killed; a process that left them survives (one more reason for the
    sandbox).
    """
    if sandboxed:
        if proc.poll() is None:
            kill_group(proc.pid)
    else:
        kill_group(proc.pid)
        try:
            pids = (job / "out" / "kernels.pid").read_text(encoding="utf-8").split()
        except OSError:
            pids = []
        for pid in pids:
            if pid.isdigit() and int(pid) > 1:
                kill_group(int(pid))
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass
