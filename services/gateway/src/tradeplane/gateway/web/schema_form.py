"""A form from a strategy's `configSchema` (JSON Schema), rendered on the server, and the posted form back
into a config for the API.

Each property becomes one field named `config.<property>`: integers and decimal strings as text inputs
(decimals stay strings: money is never a float), enums as a select, booleans as a checkbox, and objects
of name → value (the rebalancer's `targets`) as rows of `<name>.key` / `<name>.value` inputs. A `null`
alternative (`anyOf: [..., {"type": "null"}]`) makes a field optional: left blank, it is not sent.
The API's 422 names a field `config.<property>[.<key>]`: `errors_by_field` puts each message next to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONFIG = "config"
MIN_ROWS = 3
"""Key/value fields show at least this many rows (blank ones for the user to fill)."""


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    """The input's name: `config.<property>` (a key/value field adds `.key` / `.value`)."""
    prop: str
    label: str
    kind: str
    """`text`, `integer`, `decimal`, `enum`, `boolean` or `map`."""
    required: bool
    value: Any
    """The text shown (a map: its rows as (key, value) pairs)."""
    description: str = ""
    options: tuple[str, ...] = ()
    placeholder: str = ""
    updatable: bool = False
    error: str = ""
    rows: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The property's own schema (a `$ref` followed, a null alternative dropped) and whether null is
    allowed."""
    merged = dict(prop)
    nullable = False
    alternatives = merged.pop("anyOf", None)
    if alternatives:
        kept = [a for a in alternatives if a.get("type") != "null"]
        nullable = len(kept) < len(alternatives)
        if kept:
            merged = {**kept[0], **merged}
    ref = merged.pop("$ref", None)
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        merged = {**target, **merged}
    return merged, nullable


def _kind(spec: Mapping[str, Any]) -> str:
    if "enum" in spec:
        return "enum"
    kind = spec.get("type")
    if kind == "object":
        return "map"
    if kind == "integer":
        return "integer"
    if kind == "number" or (kind == "string" and "[0-9]" in str(spec.get("pattern", ""))):
        return "decimal"
    if kind == "boolean":
        return "boolean"
    return "text"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _rows(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        pairs = [(str(k), _text(v)) for k, v in value.items()]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        pairs = [(str(k), str(v)) for k, v in value]
    else:
        pairs = []
    return tuple(pairs + [("", "")] * max(MIN_ROWS - len(pairs), 1))


def fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    prefix: str = CONFIG,
) -> list[FormField]:
    """The form's fields for `schema`'s properties, showing `values` (a config, or what the user sent)
    else each property's default, with the API's message for each field from `errors`."""
    required = set(schema.get("required", ()))
    shown: list[FormField] = []
    for prop, raw in (schema.get("properties") or {}).items():
        spec, nullable = _resolve(schema, raw)
        kind = _kind(spec)
        value = (values or {}).get(prop, spec.get("default"))
        examples = spec.get("examples") or ()
        shown.append(
            FormField(
                name=f"{prefix}.{prop}",
                prop=prop,
                label=str(spec.get("title") or prop),
                kind=kind,
                required=prop in required and not nullable,
                value=_text(value) if kind != "map" else "",
                description=str(spec.get("description") or ""),
                options=tuple(str(o) for o in spec.get("enum", ())),
                placeholder=str(examples[0]) if examples else "",
                updatable=bool(raw.get("updatable") or spec.get("updatable")),
                error=_error_for(errors or {}, prefix, prop),
                rows=_rows(value) if kind == "map" else (),
            )
        )
    return shown


def _error_for(errors: Mapping[str, str], prefix: str, prop: str) -> str:
    """The messages for `<prefix>.<prop>` and anything inside it (`config.targets.BTC`), and those about
    the whole config that name the property ("targets must sum to 1")."""
    name = f"{prefix}.{prop}"
    found = [
        message
        for where, message in errors.items()
        if where == name
        or where.startswith(name + ".")
        or (where == prefix and re.search(rf"\b{re.escape(prop)}\b", message))
    ]
    return "; ".join(dict.fromkeys(found))


def unplaced(errors: Mapping[str, str], schema: Mapping[str, Any], prefix: str = CONFIG) -> list[str]:
    """The messages about the config that no field of the form shows (they go above the fields)."""
    props = list((schema.get("properties") or {}).keys())
    shown = {message for prop in props for message in _error_for(errors, prefix, prop).split("; ")}
    return [
        message
        for where, message in errors.items()
        if (where == prefix or where.startswith(prefix + ".")) and message not in shown
    ]


def errors_by_field(details: Mapping[str, Any] | None) -> dict[str, str]:
    """The API's `details.fields` of a 422 as field name → message (several joined)."""
    found: dict[str, str] = {}
    for item in (details or {}).get("fields") or ():
        if not isinstance(item, Mapping):
            continue
        name, message = str(item.get("field", "")), str(item.get("message", ""))
        found[name] = f"{found[name]}; {message}" if name in found else message
    return found


def _many(form: Mapping[str, Any], name: str) -> list[str]:
    value = form.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def pairs(form: Mapping[str, Any], name: str) -> list[tuple[str, str]]:
    """The filled key/value rows posted as `<name>.key` / `<name>.value` (blank rows dropped)."""
    keys, values = _many(form, f"{name}.key"), _many(form, f"{name}.value")
    rows = zip(keys, values + [""] * (len(keys) - len(values)), strict=False)
    return [(k.strip(), v.strip()) for k, v in rows if k.strip() or v.strip()]


def mapping(form: Mapping[str, Any], name: str, upper_keys: bool = True) -> dict[str, str]:
    return {(k.upper() if upper_keys else k): v for k, v in pairs(form, name)}


def parse(schema: Mapping[str, Any], form: Mapping[str, Any], prefix: str = CONFIG) -> dict[str, Any]:
    """The config the form describes: blank optional fields left out (the strategy's default applies),
    integers as numbers when they read as one (else as sent, for the API to name the field), decimals as
    strings, key/value rows as an object."""
    config: dict[str, Any] = {}
    for prop, raw in (schema.get("properties") or {}).items():
        spec, _ = _resolve(schema, raw)
        kind = _kind(spec)
        name = f"{prefix}.{prop}"
        if kind == "map":
            rows = mapping(form, name)
            if rows:
                config[prop] = rows
            continue
        if kind == "boolean":
            config[prop] = _text(form.get(name)) in ("yes", "on", "true")
            continue
        text = "".join(_many(form, name)[:1]).strip()
        if not text:
            continue
        if kind == "integer":
            plain = text.replace(",", "").replace(" ", "")
            config[prop] = int(plain) if plain.lstrip("-").isdigit() and len(plain) < 20 else text
        elif kind == "decimal":
            config[prop] = text.replace(",", "").replace(" ", "")
        else:
            config[prop] = text
    return config
