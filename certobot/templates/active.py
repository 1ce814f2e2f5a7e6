"""The texts in force, held in this process: what the offline engine and the agent read on every turn.

The team edits templates in Postgres (`certobot.templates.service`); reading them there on every
message would cost a round trip per turn. Instead each process keeps the current bodies here,
refreshed by `certobot.templates.refresh` when a NOTIFY says one changed (and by a slow poll behind
it). A key nobody edited keeps its default, the text written in the code.

Process-wide on purpose: the texts are module constants (`texts.GREETING`) read from deep inside the
turn, and one bot process serves one creditor; tests reset it between cases (`ACTIVE.replace({})`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import overload

# A line holding only this separates alternative phrasings of one text (picked by turn number).
VARIANT_SEPARATOR = "---"


def split_variants(body: str) -> tuple[str, ...]:
    parts: list[str] = []
    current: list[str] = []
    for line in body.strip().splitlines():
        if line.strip() == VARIANT_SEPARATOR:
            parts.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current).strip())
    return tuple(p for p in parts if p)


def join_variants(variants: Sequence[str]) -> str:
    return f"\n{VARIANT_SEPARATOR}\n".join(variants)


class ActiveTemplates:
    """Key -> the edited body; a key absent here speaks its default."""

    def __init__(self) -> None:
        self._bodies: dict[str, str] = {}
        self.loaded_versions: dict[str, int] = {}

    def replace(self, bodies: Mapping[str, str], versions: Mapping[str, int] | None = None) -> None:
        # One assignment: a turn reading concurrently sees the old set or the new one, never a mix.
        self._bodies = dict(bodies)
        self.loaded_versions = dict(versions or {})

    def body(self, key: str) -> str | None:
        return self._bodies.get(key)


ACTIVE = ActiveTemplates()


class Phrases(Sequence[str]):
    """A text's phrasings as the code reads them (`pick(texts.GREETING, n)`): the edited ones when the
    team changed the template, else the defaults written here."""

    def __init__(self, key: str, defaults: tuple[str, ...]) -> None:
        self.key = key
        self.defaults = defaults

    def current(self) -> tuple[str, ...]:
        edited = ACTIVE.body(self.key)
        return split_variants(edited) if edited else self.defaults

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        return self.current()[i]

    def __len__(self) -> int:
        return len(self.current())

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __repr__(self) -> str:
        return f"Phrases({self.key!r})"


# The approved WhatsApp templates (sent outside the 24-hour window): key -> the setting with the
# name used until someone edits it. Meta approves the template's wording; we only pick its name.
WHATSAPP_SETTINGS = {
    "wa_opening": "whatsapp_opening_template",
    "wa_receipt": "whatsapp_receipt_template",
    "wa_closing": "whatsapp_closing_template",
    "wa_reminder": "whatsapp_reminder_template",
    "wa_followup": "whatsapp_followup_template",
}


def whatsapp_template(settings: object, key: str) -> str:
    """The approved template's name in force: the edited one, else the one in the settings."""
    edited = ACTIVE.body(key)
    if edited:
        return edited.strip()
    name: str = getattr(settings, WHATSAPP_SETTINGS[key])
    return name
