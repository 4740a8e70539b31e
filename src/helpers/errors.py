"""Readable errors for bad input.

Every problem a user can cause (a misspelt column, an unreadable date, an unknown config
key) is raised as one of these, with a message that names the file, the column or key, and
the rule that failed. The batch runner prints the message alone, without a traceback.
"""
from __future__ import annotations


class CRMInputError(ValueError):
    """Base class: bad input the user can fix; the message says what and where."""


class ConfigError(CRMInputError):
    """A config file is missing, unreadable, or has an unknown key or a wrong value."""


class DataError(CRMInputError):
    """A data file cannot become the canonical line table.

    Parameters
    ----------
    file : str
        The file (or sheet) that was read.
    rule : str
        Short name of the rule that failed, e.g. ``"missing-column"``.
    message : str
        What is wrong and how to fix it.
    column : str, optional
        The column concerned, as named in the file.
    """

    def __init__(self, file, rule: str, message: str, column: str | None = None):
        self.file = str(file)
        self.rule = rule
        self.column = column
        where = f"{self.file}"
        if column is not None:
            where += f": column '{column}'"
        super().__init__(f"{where}: {message} [rule: {rule}]")
