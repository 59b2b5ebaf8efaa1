"""Writing a :class:`~citizensfirst.io.survey.Survey` to a file, labels and missing codes put back."""

from __future__ import annotations

from pathlib import Path

from ..errors import CitizensFirstError, DataError
from ..fileutil import atomic_output, atomic_write_text
from .formats import FORMATS, file_extension, sidecar_path, supported_list, write_formats
from .survey import Survey


def write_survey(survey: Survey, path: str | Path, *, sidecar: bool = True) -> None:
    """Write ``survey`` to ``path`` (``.sav .zsav .dta .csv .parquet``), missing codes restored.

    Cells whose answer was a missing code are written as that code (a "don't know" is written as
    8, and 8 is declared user-missing in ``.sav``). Unless ``sidecar=False``, the codebook is also
    written to ``<stem>.codebook.toml`` (for CSV and Parquet it is the only place the labels and
    missing codes live; for ``.sav`` it adds what SPSS cannot hold: French wording, scales, CMT
    dimensions, and the multiple-response sets (``[mr_sets.*]``: pyreadstat cannot write SPSS
    MRSETS records, so the sidecar carries them and :func:`read_survey` reads them back); for ``.dta`` it also declares the numeric missing codes, which Stata has no way to
    mark). Writes are atomic: on error no partial file is left.

    Limitations: ``.sav`` cannot hold tagged missing codes (written as system missing, with a
    warning), and its MR sets live in the sidecar only; ``.dta`` keeps numeric missing codes as plain values (only the sidecar
    marks them missing) and integer value labels only; CSV turns dates into text.

    Parameters
    ----------
    survey : Survey
        The survey to write.
    path : str or pathlib.Path
        The output file; its suffix picks the format.
    sidecar : bool, default True
        Also write the codebook to ``<stem>.codebook.toml``.

    Raises
    ------
    DataError
        If the file type cannot be written, ``survey`` is not a Survey, or a column name is not text.

    Examples
    --------
    >>> import pandas as pd
    >>> write_survey(Survey(pd.DataFrame({"a": [1]})), "out.xlsx")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: out.xlsx: cannot write file type '.xlsx'; supported: .sav, .zsav, .dta, .csv, .parquet
    """
    path = Path(path)
    ext = file_extension(path)
    fmt = FORMATS.get(ext)
    if fmt is None or fmt.write is None:
        raise DataError(f"{path}: cannot write file type {ext or '(no extension)'!r}; supported: "
                        f"{supported_list(write_formats(FORMATS))}")
    if not isinstance(survey, Survey):
        raise DataError(f"{path}: write_survey needs a Survey, got {type(survey).__name__}")
    bad = [c for c in survey.columns if not isinstance(c, str)]
    if bad:
        raise DataError(f"{path}: column names must be text, got {bad}")
    frame = survey.with_missing_codes()
    with atomic_output(path) as out:
        try:
            fmt.write(survey, frame, out, path)
        except CitizensFirstError:
            raise
        except Exception as err:  # pyreadstat/pyarrow raise assorted types; name the file
            raise DataError(f"{path}: cannot write: {type(err).__name__}: {err}") from None
    if sidecar:
        atomic_write_text(sidecar_path(path), survey.codebook.to_toml())
