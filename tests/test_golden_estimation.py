"""Every case of shared/reference/golden/survey_estimation.json (R survey 4.1-1) reproduced."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import golden, reference_data
from rcall import build_design, close, run

CASES = golden("survey_estimation.json")["entries"]


def _designs(entry: dict) -> dict:
    name = entry["design"].split("<-")[0].strip()
    data = reference_data(entry["data"])
    return {name: build_design(entry["design"], data)}


def _labels(est) -> list[str]:
    table = est.to_frame(labels=False)  # R names the rows by their codes
    out = []
    for _, row in table.iterrows():
        name = str(row["variable"])
        if "level" in table.columns:
            name += str(row["level"])
        out.append(name)
    return out


@pytest.mark.parametrize("entry", CASES, ids=[c["id"] for c in CASES])
def test_estimation_matches_r(entry: dict) -> None:
    check_result(entry["result"], run(entry["call"], _designs(entry)))


def check_result(result: dict, ours) -> None:
    """Compare one of our results with an R result of the golden schema."""
    kind = result["type"]
    if kind in ("svystat", "svrepstat"):
        names = list(result["estimate"])
        table = ours.to_frame(labels=False)
        assert [n.replace("nan", "") for n in _labels(ours)] == names
        scale = max(abs(v) for v in result["estimate"].values())
        close(table["estimate"], list(result["estimate"].values()), scale, "estimate")
        close(table["se"], list(result["se"].values()), scale, "se")
        known = np.isfinite(ours.vcov)  # NaN where our result does not estimate a covariance
        close(ours.vcov[known], np.asarray(result["vcov"]["values"], dtype=float)[known], scale**2, "vcov")
        if "deff" in result:
            close(table["deff"], list(result["deff"].values()), 1.0, "deff")
    elif kind == "svyby":
        table = ours.to_frame(labels=False)
        by = list(ours.by)
        keys = []
        for _, row in table.iterrows():
            level = str(row["variable"])
            if ours.statistic == "quantile":
                level += f".{row['level']:g}"
            elif "level" in table.columns:
                level += str(row["level"])
            keys.append((".".join(str(row[b]) for b in by), level))
        wanted = []
        for label in result.get("names", result["by_levels"]):
            domain, _, var = label.partition(":")
            wanted.append((domain, var or str(table["variable"].iloc[0])))
        order = [keys.index(k) for k in wanted]
        scale = max(abs(v) for v in result["estimate"])
        close(table["estimate"].to_numpy()[order], result["estimate"], scale, "estimate")
        close(table["se"].to_numpy()[order], result["se"], scale, "se")
        if "deff" in result:
            close(table["deff"].to_numpy()[order], result["deff"], 1.0, "deff")
        if "vcov" in result:
            close(ours.vcov[np.ix_(order, order)], result["vcov"]["values"], scale**2, "vcov")
    elif kind in ("svyvar", "svrepvar"):
        table = ours.to_frame(labels=False)
        matrix = np.asarray(result["estimate"]["values"] if isinstance(result["estimate"], dict)
                            else result["estimate"], dtype=float)
        p = matrix.shape[0]
        diagonal = [i * p + i for i in range(p)]  # vcov indexes the matrix column-major
        scale = float(np.abs(np.diag(matrix)).max())
        close(table["estimate"], np.diag(matrix), scale, "variance")
        vcov = np.asarray(result["vcov"]["values"] if isinstance(result["vcov"], dict) else result["vcov"])
        close(table["se"], np.sqrt(np.diag(vcov)[diagonal]), scale, "se")
    elif kind == "svyratio":
        table = ours.to_frame(labels=False)
        close(table["estimate"], np.ravel(result["ratio"]["values"]), 1.0, "ratio")
        close(table["se"], np.ravel(result["se"]["values"]), 1.0, "se")
    elif kind == "svyciprop":
        close(ours["estimate"], [result["estimate"]], 1.0, "estimate")
        close(ours["se"], [result["se"]], 1.0, "se")
        close([ours["ci_low"].iloc[0], ours["ci_high"].iloc[0]], result["ci"], 1.0, "ci")
    elif kind == "svyquantile":
        var = [k for k in result if k != "type"][0]
        values = np.asarray(result[var]["values"], dtype=float)
        table = ours.to_frame(labels=False)
        close(table["estimate"], values[:, 0], 1.0, "quantile")
        close(table["ci_low"], values[:, 1], 1.0, "ci lower")
        close(table["ci_high"], values[:, 2], 1.0, "ci upper")
        close(table["se"], values[:, 3], 1.0, "se")
    else:  # pragma: no cover - a new kind of case must be added here
        pytest.fail(f"unknown result type {kind}")
