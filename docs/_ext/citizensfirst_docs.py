"""Sphinx directives for the citizensfirst command-line reference, read from the code.

``{citizensfirst-commands}``
    a table of the subcommands of ``citizensfirst.cli.build_parser()``: each name (linked to its
    section rendered by ``sphinx-argparse``) and its one-line help;
``{citizensfirst-exit-codes}``
    a table of every :class:`citizensfirst.errors.CitizensFirstError` subclass with its exit code
    and the first line of its docstring.

Both are discovered, so a new command or error class appears without editing the docs. The
section of each subcommand (``#citizensfirst-NAME``, rendered by ``sphinx-argparse``) is also
registered as a label, so the guides' markdown links ``cli.md#citizensfirst-weight`` resolve.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Sequence

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _cell(content: nodes.Node | str) -> nodes.entry:
    paragraph = nodes.paragraph()
    paragraph += content if isinstance(content, nodes.Node) else nodes.Text(content)
    entry = nodes.entry()
    entry += paragraph
    return entry


def table(headers: Sequence[str], rows: Sequence[Sequence[nodes.Node | str]]) -> nodes.table:
    """A docutils table with a header row; each cell is a node or plain text."""
    group = nodes.tgroup(cols=len(headers))
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    row = nodes.row()
    for header in headers:
        row += _cell(header)
    head += row
    group += head
    body = nodes.tbody()
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            row += _cell(cell)
        body += row
    group += body
    result = nodes.table(classes=["longtable"])
    result += group
    return result


def first_line(doc: str | None) -> str:
    """The first paragraph of a docstring, joined into one line."""
    text = inspect.cleandoc(doc or "").split("\n\n", 1)[0]
    return " ".join(text.split())


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """``(name, help)`` of each subcommand of ``parser``, in the parser's order."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    result = []
    for action in actions:
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        result += [(name, helps.get(name, "")) for name in action.choices]
    return result


class CommandTable(SphinxDirective):
    """``{citizensfirst-commands}``: the subcommands of ``citizensfirst`` and what each does."""

    def run(self) -> list[nodes.Node]:
        from citizensfirst.cli import build_parser

        rows = []
        for name, help_text in subcommands(build_parser()):
            link = nodes.reference("", "", internal=True, refuri=f"#{nodes.make_id(name)}")
            link += nodes.literal(text=name)
            rows.append([link, help_text])
        return [table(["command", "what it does"], rows)]


class ExitCodeTable(SphinxDirective):
    """``{citizensfirst-exit-codes}``: every library error class with its exit code."""

    def run(self) -> list[nodes.Node]:
        from citizensfirst import errors

        classes = sorted((cls for cls in vars(errors).values()
                          if inspect.isclass(cls) and issubclass(cls, errors.CitizensFirstError)),
                         key=lambda c: (c.exit_code, c.__name__))
        rows = [[nodes.literal(text=cls.__name__), str(cls.exit_code), first_line(cls.__doc__)]
                for cls in classes]
        return [table(["error", "exit code", "meaning"], rows)]


def label_command_sections(app: Sphinx, doctree: nodes.document) -> None:
    """Register ``citizensfirst-NAME`` (the section of subcommand NAME) as a std label."""
    from citizensfirst.cli import build_parser

    wanted = {f"citizensfirst-{name}" for name, _ in subcommands(build_parser())}
    std = app.env.get_domain("std")
    for section in doctree.findall(nodes.section):
        for section_id in set(section["ids"]) & wanted:
            title = section[0].astext() if section.children else section_id
            std.anonlabels[section_id] = (app.env.docname, section_id)
            std.labels[section_id] = (app.env.docname, section_id, title)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("doctree-read", label_command_sections)
    app.add_directive("citizensfirst-commands", CommandTable)
    app.add_directive("citizensfirst-exit-codes", ExitCodeTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
