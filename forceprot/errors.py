"""The forceprot error family.

Every error a user can cause by bad input is a :class:`ForceprotError` that knows
*where* it happened (file, field, value) and renders as one line. Anything else
that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = [
    "ForceprotError",
    "ScenarioError",
    "ReachError",
    "GeometryError",
    "OutputError",
]


#: Longest file label printed whole [characters]; longer ones keep their head and tail.
MAX_LABEL_CHARS = 160

# reprlib bounds depth and length, so a deeply nested or huge value renders in bounded time.
_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = 4


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\n``, ``\\x1b``, ``\\u2028``).

    File names and values come from users: a newline would split the one error line and an
    escape sequence would reach the terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, (str, list, tuple, dict, set)):
        text = _REPR.repr(value)
    else:
        try:
            text = str(value)
        except ValueError:  # an int beyond Python's str() digit limit
            text = f"<integer of about {int(value.bit_length() * 0.30103)} digits>"
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(file: str) -> str:
    text = printable(file)
    if len(text) <= MAX_LABEL_CHARS:
        return text
    return text[:60] + "..." + text[-(MAX_LABEL_CHARS - 63):]


class ForceprotError(ValueError):
    """Bad input, reported as ``file: field = value: message``.

    The line is always one line: non-printable characters in the file, field, value and
    message are escaped, long values and file names are shortened.

    Parameters
    ----------
    message : str
        What is wrong, and where possible what would be valid.
    file : str, optional
        The file the bad value came from.
    field : str, optional
        Dotted path of the field inside the file (``threat.tubes``, ``defence[0].pk``).
    value : object, optional
        The offending value.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 value: Any = None, has_value: bool | None = None) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.value = value
        self.has_value = (value is not None) if has_value is None else has_value
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(_label(self.file))
        field = printable(self.field) if self.field else None
        if field:
            where.append(f"{field} = {_short(self.value)}" if self.has_value else field)
        elif self.has_value:
            where.append(f"value {_short(self.value)}")
        prefix = ": ".join(where)
        message = printable(self.message)
        return f"{prefix}: {message}" if prefix else message

    def with_file(self, file: str) -> "ForceprotError":
        """Return a copy of this error that names ``file`` if it named none."""
        if self.file:
            return self
        return type(self)(self.message, file=file, field=self.field, value=self.value,
                          has_value=self.has_value)


class ScenarioError(ForceprotError):
    """A scenario file or one of its values is invalid."""


class ReachError(ScenarioError):
    """No launch position can reach what the threat aims at, or too rarely to sample
    (:mod:`forceprot.reach`, :func:`forceprot.compile.check_firing_reach`)."""


class GeometryError(ForceprotError):
    """A geodata layer is missing, unreadable or geometrically invalid."""


class OutputError(ForceprotError):
    """An output cannot be written (folder not writable, file exists, too large)."""
