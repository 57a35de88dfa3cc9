"""Errors shulu raises for bad input.

Every user mistake becomes an :class:`InputError` that names where the problem is
(file, field or row/column) and what was expected. The CLI prints it without a
traceback and exits with code 2.
"""

from __future__ import annotations


class ShuluError(Exception):
    """Base class of every error shulu raises on purpose."""


class InputError(ShuluError, ValueError):
    """Bad input: names the place, what was expected and what was found.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str, optional
        The file the problem is in.
    field : str, optional
        Field path (``sites[3].it_capacity_kw``) or column name.
    row : int, optional
        Row number (0-based data row) in a table.

    Examples
    --------
    >>> str(InputError("expected a value >= 0, got -5", file="scenario.yaml", field="sites[0].it_capacity_kw"))
    'scenario.yaml: sites[0].it_capacity_kw: expected a value >= 0, got -5'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        field: str | None = None,
        row: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.row = row
        super().__init__(self.render())

    def render(self) -> str:
        """The message with its location prefixed: ``file: row N, field: message``."""
        where: list[str] = []
        if self.file:
            where.append(self.file)
        loc = []
        if self.row is not None:
            loc.append(f"row {self.row}")
        if self.field:
            loc.append(self.field)
        if loc:
            where.append(", ".join(loc))
        return ": ".join([*where, self.message])

    def with_file(self, file: str) -> InputError:
        """A copy of this error that names ``file`` (kept if already set)."""
        return InputError(self.message, file=self.file or file, field=self.field, row=self.row)
