"""The benchmark scripts run, and what they compare agrees (no timing is asserted here)."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_em.py"


def test_em_benchmark_runs_and_both_libraries_agree(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_em", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "report.md"
    rows = bench.main(["--quick", "--repeat", "1", "--out", str(out)])
    assert len(rows) == 2
    for row in rows:
        assert row["max_diff"] <= 1e-8 and row["fit_diff"] <= 1e-8
        assert row["iters"][0] == row["iters"][1]
        assert row["it_emlib"] > 0 and row["it_sklearn"] > 0
        assert row["fit_emlib"] > 0 and row["fit_sklearn"] > 0
        assert row["mem_emlib"] > 0 and row["mem_sklearn"] > 0
    text = out.read_text(encoding="utf-8")
    assert "| n | d | k |" in text and "Median speed-up of `fit` per iteration" in text
    assert "BLAS:" in text and "OPENBLAS_CORETYPE=" in text
