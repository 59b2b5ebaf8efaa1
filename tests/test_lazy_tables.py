"""Publication tables (crosstab, banner) of lazy designs, and what a lazy design does not do."""

from __future__ import annotations

import inspect
from pathlib import Path

import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import NotLazyError

#: Design members a lazy design has no reason to offer: constructors of designs from a source
NOT_APPLICABLE = {"from_duckdb": "a constructor of lazy designs (cf.Design.from_duckdb)"}


@pytest.fixture()
def lazy(tmp_path: Path) -> cf.LazyDesign:
    frame = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2], "g": ["a", "b", "a", "b"]})
    frame.to_parquet(tmp_path / "s.parquet")
    return cf.scan_survey(tmp_path / "s.parquet", weights="w")


def test_every_design_member_is_lazy_or_says_collect(lazy: cf.LazyDesign) -> None:
    """Each public member of Design exists on a lazy design, or raises NotLazyError naming it
    and pointing to ``.collect(where=...)``."""
    names = [n for n in dir(cf.Design) if not n.startswith("_") and n not in NOT_APPLICABLE]
    missing = []
    for name in names:
        static = inspect.getattr_static(cf.Design, name)
        try:
            member = getattr(lazy, name)
        except NotLazyError as error:
            assert f"{name}()" in str(error) and ".collect(where=...)" in str(error), str(error)
            missing.append(name)
            continue
        if callable(static) and not isinstance(static, property):
            assert callable(member), name
    assert {"drivers", "frame", "weight_values"} <= set(missing)
    assert "as_replicate" not in missing and callable(lazy.as_replicate)
