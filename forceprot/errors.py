"""The forceprot error family.

Every error a user can cause by bad input is a :class:`ForceprotError` that knows
*where* it happened (file, field, value) and renders as one line. Anything else
that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ForceprotError",
    "ScenarioError",
    "GeometryError",
    "OutputError",
]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ForceprotError(ValueError):
    """Bad input, reported as ``file: field = value: message``.

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
            where.append(self.file)
        if self.field:
            where.append(f"{self.field} = {_short(self.value)}" if self.has_value else self.field)
        elif self.has_value:
            where.append(f"value {_short(self.value)}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def with_file(self, file: str) -> "ForceprotError":
        """Return a copy of this error that names ``file`` if it named none."""
        if self.file:
            return self
        return type(self)(self.message, file=file, field=self.field, value=self.value,
                          has_value=self.has_value)


class ScenarioError(ForceprotError):
    """A scenario file or one of its values is invalid."""


class GeometryError(ForceprotError):
    """A geodata layer is missing, unreadable or geometrically invalid."""


class OutputError(ForceprotError):
    """An output cannot be written (folder not writable, file exists, too large)."""
