"""Multiple-response sets as the rows of a crosstab or banner.

When ``rows=`` names a multiple-response set of the design's codebook (and is not a column),
each option of the set becomes a row: the share of the column's answerers who chose it, estimated
as the mean of the option's 0/1 indicator over those who answered the question (see
:mod:`citizensfirst.estimation.multiresponse`), shown in percent with a logit interval. The rows
go through the same machinery as rating items (``"variables"`` rows of
:mod:`citizensfirst.tables.cells`): the same column tests and letters, and the same primary and
complementary suppression, a cell's respondents being the column's answerers. A column does not
add up to 100 %, since an answerer may choose several options; a note says so.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst import Codebook, Survey, Variable
>>> from citizensfirst.io.mrsets import MultipleResponseSet
>>> df = pd.DataFrame({"web": [1, 0] * 20, "phone": [1, 1] * 20, "g": ["a"] * 20 + ["b"] * 20})
>>> cb = Codebook([Variable("web", label="Web"), Variable("phone", label="Phone")],
...               mr_sets=[MultipleResponseSet("ch", ("web", "phone"), counted_value=1)])
>>> t = Design(Survey(df, cb)).crosstab("ch", "g")
>>> t.to_frame().loc[["Web", "Phone"]].values.tolist()
[['50.0', '50.0', '50.0'], ['100.0', '100.0', '100.0']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..estimation.multiresponse import resolve_set, set_options
from ..i18n import check_language, text
from ..io.codebook import Codebook, Variable
from .cells import CellSpec

if TYPE_CHECKING:
    from ..design.facade import Design

_TEXT = {
    "note": {"en": "{label}: respondents could choose more than one answer, so percentages add up to "
                   "more than 100%; the base is the respondents who answered the question.",
             "fr": "{label} : plusieurs réponses étaient possibles, de sorte que la somme des "
                   "pourcentages dépasse 100 % ; la base est formée des répondants ayant répondu à la "
                   "question."},
    "title": {"en": "{label} — percentage of respondents who answered",
              "fr": "{label} — pourcentage des répondants ayant répondu"},
}


@dataclass(frozen=True)
class MultipleResponseRows:
    """A set's options as table rows: the working design and the cells' row specification."""

    design: Design  # the design with the indicator columns, its codebook labelling them
    spec: CellSpec
    items: list[str]  # the indicator columns, one per option, in row order
    label: dict[str, str]  # the set's wording by language

    @property
    def cells(self) -> tuple[Design, CellSpec, list[str]]:
        """What :func:`~citizensfirst.tables.cells.prepare_cells` gives for ordinary rows.

        Returns
        -------
        tuple of (Design, CellSpec, list of str)
            The working design, the row specification and the row items.
        """
        return self.design, self.spec, self.items

    def title(self, language: str, columns: Sequence[str]) -> str:
        """The default title: the set's wording, the statistic and the column variables.

        Parameters
        ----------
        language : str
            "en" or "fr".
        columns : sequence of str
            The column variables of the table.

        Returns
        -------
        str
            The title.
        """
        title = _TEXT["title"][check_language(language)].format(label=self.label[language])
        codebook = self.design.codebook
        dims = [codebook.get_variable(c).label_in(language) if codebook is not None else c for c in columns]
        if not dims:
            return title
        joined = ", ".join(dims[:-1]) + f" {text('table_and', language)} " + dims[-1] if len(dims) > 1 \
            else dims[0]
        return f"{title}, {text('table_by', language)} {joined}"

    def notes(self, language: str) -> tuple[str, ...]:
        """The note that the percentages of a column do not add up to 100.

        Parameters
        ----------
        language : str
            "en" or "fr".

        Returns
        -------
        tuple of str
            The note.
        """
        return (_TEXT["note"][check_language(language)].format(label=self.label[language]),)


def multiple_response_rows(design: Design, rows: str | Sequence[str], stat: str,
                           value: Any) -> MultipleResponseRows | None:
    """The options of the set ``rows`` names as table rows; None when ``rows`` is not a set.

    Parameters
    ----------
    design : Design
        The design.
    rows : str or sequence of str
        The table's ``rows=``.
    stat : str
        The table's statistic (a set takes ``"percent"`` only).
    value : Any
        The table's ``value=`` (must be None for a set).

    Returns
    -------
    MultipleResponseRows or None
        The rows, or None when ``rows`` is a column or not a set of the codebook.

    Raises
    ------
    DataError
        If a set is asked with another statistic or with ``value=``, or nobody answered it.
    """
    codebook = design.codebook
    if not isinstance(rows, str) or codebook is None or rows not in codebook.mr_sets \
            or rows in design.frame.columns:
        return None
    if stat != "percent" or value is not None:
        raise DataError(f"{rows!r} is a multiple-response set: tabulate it with stat='percent' and no "
                        f"value= (each row is the percentage choosing one option)")
    mr_set = resolve_set(design, rows)
    options = set_options(design, mr_set)
    extra = [Variable(name, label=options.labels["en"][i], label_fr=options.labels["fr"][i])
             for i, name in enumerate(options.columns)]
    labelled = Codebook([*codebook.values(), *extra], title=codebook.title, title_fr=codebook.title_fr,
                        mr_sets=codebook.mr_sets)
    work = design.evolve(data=design.frame.assign(**options.indicators), codebook=labelled)
    # "top2": a share of a 0/1 column, with a logit interval (the rows are shown in percent)
    spec = CellSpec("top2", "variables", None, options.columns, options.columns, options.answered, 0.95, None)
    return MultipleResponseRows(work, spec, options.columns,
                                {"en": mr_set.label_in("en"), "fr": mr_set.label_in("fr")})
