"""A seeded generator of the synthetic sample study shipped with citizensfirst.

The study has three Citizens First waves (``cf2018``, ``cf2020``, ``cf2023``) and one Business
First wave (``bf2023``). Each wave is an SPSS ``.sav`` file (English variable and value labels,
don't-know / refused codes declared as SPSS user-missing values) with a sidecar codebook
``<stem>.codebook.toml`` that adds French labels, scales, measures and CMT dimension ids.

The data come from a latent-factor model whose parameters are all written down here, so the true
population values (means, driver effects, the one real change between waves) are known; the
generator also writes ``README.md`` with that ground truth and ``SHA256SUMS``. Regenerating gives
byte-identical files (fixed seeds, and the creation date/time that pyreadstat writes into the SPSS
header is overwritten with a fixed value).

>>> sample_path("cf2023").name
'cf2023.sav'
>>> SAMPLE_WAVES
('cf2023', 'cf2020', 'cf2018', 'bf2023')

Regenerate the shipped files with ``python -m citizensfirst.samplegen [--out DIR]``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from ..fileutil import atomic_output, atomic_write_text, sha256_file
from ..io.codebook import Codebook
from ..io.codes import Code
from .codebooks import bf_codebook, cf_codebook
from .params import CF_WAVES, SAMPLE_DIR, SAMPLE_WAVES, SAV_DATE, SAV_TIME
from .readme import build_readme
from .simulate import simulate_bf, simulate_cf


def simulate_wave(wave: str) -> tuple[pd.DataFrame, Codebook]:
    """The data (codes, user-missing codes kept) and codebook of one sample wave, in memory.

    Parameters
    ----------
    wave : str
        One of ``SAMPLE_WAVES`` (``"cf2018"``, ``"cf2020"``, ``"cf2023"``, ``"bf2023"``).

    Returns
    -------
    tuple of (pandas.DataFrame, Codebook)
        The simulated respondents and the wave's codebook (same columns, same order).

    Raises
    ------
    DataError
        If the wave is unknown.

    Examples
    --------
    >>> df, cb = simulate_wave("cf2020")
    >>> len(df), "psu" in df, cb["q_time"].dimension
    (4040, True, 'timeliness')
    """
    if wave in CF_WAVES:
        spec = CF_WAVES[wave]
        df = simulate_cf(spec)
        cb = cf_codebook(spec.year, clustered=bool(spec.psu_prov))
    elif wave == "bf2023":
        df, cb = simulate_bf(), bf_codebook()
    else:
        raise DataError(f"unknown sample wave {wave!r}; known waves: {', '.join(SAMPLE_WAVES)}")
    if list(df.columns) != list(cb):
        raise AssertionError(f"{wave}: columns and codebook disagree")  # pragma: no cover
    return df, cb


def sample_path(wave: str | None = None) -> Path:
    """The shipped ``.sav`` file of ``wave``; the newest wave (``SAMPLE_WAVES[0]``) when None.

    The folder itself is ``SAMPLE_DIR`` (``sample_path().parent``).

    Parameters
    ----------
    wave : str, optional
        One of ``SAMPLE_WAVES``; None gives the newest wave.

    Returns
    -------
    Path
        Path of the ``.sav`` file.

    Raises
    ------
    DataError
        If the wave is unknown.

    Examples
    --------
    >>> sample_path().name, sample_path("bf2023").name, sample_path().parent.name
    ('cf2023.sav', 'bf2023.sav', 'sample')
    """
    if wave is None:
        wave = SAMPLE_WAVES[0]
    if wave not in SAMPLE_WAVES:
        raise DataError(f"unknown sample wave {wave!r}; known waves: {', '.join(SAMPLE_WAVES)}")
    return SAMPLE_DIR / f"{wave}.sav"


def sample_codebook_path(wave: str | None = None) -> Path:
    """The sidecar codebook (French labels, scales, dimensions) of ``wave``.

    Parameters
    ----------
    wave : str, optional
        One of ``SAMPLE_WAVES``; None gives the newest wave.

    Returns
    -------
    Path
        Path of the ``.codebook.toml`` file.

    Raises
    ------
    DataError
        If the wave is unknown.

    Examples
    --------
    >>> sample_codebook_path("cf2018").name
    'cf2018.codebook.toml'
    """
    return sample_path(wave).with_name(f"{wave or SAMPLE_WAVES[0]}.codebook.toml")


def _sav_kwargs(cb: Codebook) -> dict[str, Any]:
    value_labels: dict[str, dict[Code, str]] = {}
    missing: dict[str, list[Code]] = {}
    formats: dict[str, str] = {}
    measures: dict[str, str] = {}
    for name, var in cb.items():
        labels = {**var.value_labels, **var.missing}
        if labels:
            value_labels[name] = {k: v for k, v in sorted(labels.items())}
        if var.missing:
            missing[name] = sorted(var.missing)
        formats[name] = "F12.6" if name == "wt_design" else ("F9.0" if name == "resp_id" else "F4.0")
        measures[name] = var.measure or "nominal"
    return {
        "column_labels": {name: var.label for name, var in cb.items()},
        "variable_value_labels": value_labels,
        "missing_ranges": missing,
        "variable_format": formats,
        "variable_measure": measures,
        "file_label": (cb.title or "")[:64],
    }


def _write_sav(df: pd.DataFrame, cb: Codebook, path: Path) -> None:
    import pyreadstat  # lazy: heavy library, imported on use for import time

    with atomic_output(path) as tmp:
        pyreadstat.write_sav(df, str(tmp), row_compress=True, **_sav_kwargs(cb))
        data = bytearray(tmp.read_bytes())
        stamp = bytes(data[92:109])
        if data[:4] != b"$FL2" or not re.fullmatch(rb"\d\d [A-Z][a-z]{2} \d\d\d\d:\d\d:\d\d", stamp):
            raise DataError(f"{path}: unexpected SPSS header layout {stamp!r}; cannot fix the date")
        data[92:109] = SAV_DATE + SAV_TIME
        tmp.write_bytes(bytes(data))


def generate_sample(out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write every sample file (``.sav``, codebooks, README.md, SHA256SUMS) into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path, optional
        Folder to write into (created if needed); default the package's ``data/sample`` folder.

    Returns
    -------
    dict of str to Path
        File name to the path written.

    Examples
    --------
    >>> import tempfile
    >>> files = generate_sample(tempfile.mkdtemp())  # doctest: +SKIP
    >>> sorted(files)[:2]  # doctest: +SKIP
    ['README.md', 'SHA256SUMS']
    """
    out = Path(out_dir) if out_dir is not None else SAMPLE_DIR
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    frames: dict[str, pd.DataFrame] = {}
    books: dict[str, Codebook] = {}
    for wave in SAMPLE_WAVES:
        df, cb = simulate_wave(wave)
        frames[wave], books[wave] = df, cb
        sav = out / f"{wave}.sav"
        _write_sav(df, cb, sav)
        toml = out / f"{wave}.codebook.toml"
        cb.to_toml(toml)
        written[sav.name], written[toml.name] = sav, toml
    readme = out / "README.md"
    atomic_write_text(readme, build_readme(frames, books, written))
    written[readme.name] = readme
    sums = "".join(f"{sha256_file(written[name])}  {name}\n" for name in sorted(written))
    atomic_write_text(out / "SHA256SUMS", sums)
    written["SHA256SUMS"] = out / "SHA256SUMS"
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m citizensfirst.samplegen [--out DIR]``; prints the files written.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code, 0.
    """
    parser = argparse.ArgumentParser(prog="python -m citizensfirst.samplegen",
                                     description="Regenerate the synthetic sample study.")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {SAMPLE_DIR})")
    args = parser.parse_args(argv)
    files = generate_sample(args.out)
    for name in sorted(files):
        path = files[name]
        print(f"{path.stat().st_size:>9,}  {path}")
    return 0

