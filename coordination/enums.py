"""String enums whose members carry a display title, declared in one way everywhere."""

from __future__ import annotations

import enum


class TitledEnum(str, enum.Enum):
    """A string enum with a title per member: `ACTIVE = "active", "Active"` (value, then title).

    The member compares equal to its value (a `str`), is stored by value (`extensions.value_enum`), and
    `Member.title` is the words a page shows; `choices()` gives (value, title) pairs for forms.
    """

    def __new__(cls, value: str, title: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._title = title if title is not None else value.replace("_", " ").capitalize()
        return member

    @property
    def title(self) -> str:  # the display title; shadows str.title on purpose
        return self._title

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, title) pairs in declaration order, for radio buttons and selects."""
        return [(member.value, member.title) for member in cls]

    @classmethod
    def titles(cls) -> dict:
        """{member: title} in declaration order."""
        return {member: member.title for member in cls}
