"""The dashboard's languages: English (the message ids themselves) and Ukrainian, from gettext catalogues
(`locale/<language>/LC_MESSAGES/messages.po`, read with Babel; `babel.cfg` drives `pybabel extract`).

A page's language is the user's profile `language`; signed out, the `tp_lang` cookie (the sign-in page's
switch), then the browser's Accept-Language. Messages take `%(name)s` arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

COOKIE = "tp_lang"
DEFAULT = "en"
LANGUAGES: dict[str, str] = {"en": "English", "uk": "Українська"}
ALIASES = {"ua": "uk"}
"""Codes people use for a language that are not its ISO 639-1 code."""

Translate = Callable[..., str]

LOCALE = Path(__file__).parent / "locale"


def load(language: str) -> dict[str, str]:
    """A language's catalogue, message id → text; untranslated and fuzzy entries are left out."""
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalogue
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


UK = load("uk")
"""English message → Ukrainian (a unit test checks every message shown has one)."""
EN = load("en")
"""English labels for the codes that serve as message ids (`trade_entry` → `Trade entry`)."""
CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "uk": UK}


def normalize(code: str | None) -> str | None:
    """`uk-UA` → `uk`, `ua` → `uk`; None for a language the dashboard does not speak."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    base = ALIASES.get(base, base)
    return base if base in LANGUAGES else None


def choose(profile: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The profile's language, else the cookie's, else the browser's first one spoken here, else English."""
    for code in (profile, cookie):
        if found := normalize(code):
            return found
    for part in (accept_language or "").split(","):
        if found := normalize(part.split(";")[0]):
            return found
    return DEFAULT


def translator(language: str) -> Translate:
    """`_("Orders")` in `language`; an unknown message stays English. Arguments fill `%(name)s`."""
    catalogue = CATALOGUES.get(language, {})

    def translate(message: str, **arguments: Any) -> str:
        text = catalogue.get(message, message)
        return text % arguments if arguments else text

    return translate
