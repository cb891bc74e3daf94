"""Response bodies → records: JSON, JSON Lines, CSV or XML (gzip undone), and the record selector."""

from __future__ import annotations

import csv
import gzip
import io
import json
import xml.etree.ElementTree as ET
from typing import Any, Literal

import msgspec

from atlas_assets.connectors.errors import PermanentSourceError

BodyFormat = Literal["auto", "json", "jsonl", "csv", "xml"]

_MAX_EXCERPT = 80


def decode_body(content: bytes, content_type: str, body_format: BodyFormat, where: str) -> Any:
    """The parsed body: a JSON value, a list of dicts (JSON Lines, CSV) or an XML element.

    Malformed bodies are permanent errors naming `where` and the byte offset of the problem.
    """
    if content[:2] == b"\x1f\x8b":  # gzip served without Content-Encoding (e.g. a .json.gz export)
        content = gzip.decompress(content)
    kind = body_format if body_format != "auto" else _format_of(content_type)
    if kind == "jsonl":
        return [_json(line, where, offset) for line, offset in _lines(content) if line.strip()]
    if kind == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    if kind == "xml":
        try:
            return ET.fromstring(content)
        except ET.ParseError as exc:
            line, column = exc.position
            raise PermanentSourceError(f"{where}: malformed XML at line {line}, column {column}") from None
    return _json(content, where, 0)


def select_records(body: Any, selector: str | None, where: str) -> list[dict[str, Any]]:
    """The records at `selector` (dotted `data.items` or JSONPath-like `$.data.items[*]`).

    Without a selector the body itself must be a list of records, or an object holding
    exactly one list. XML bodies select elements by tag path (`items.item`).
    """
    if isinstance(body, ET.Element):
        return [
            _element_record(e) for e in body.iterfind("./" + "/".join(_steps(selector)) if selector else "*")
        ]
    value = body
    for step in _steps(selector):
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            raise PermanentSourceError(f"{where}: the response has no {selector!r} (records selector)")
    if selector is None and isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise PermanentSourceError(
                f"{where}: the response is an object; name the field holding the records in `records`"
            )
        value = lists[0]
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PermanentSourceError(f"{where}: {selector or 'the response'} is not a list of objects")
    return value


def value_at(body: Any, path: str | None) -> Any:
    """The value at a dotted path of a JSON body, or None when any step is missing."""
    value = body
    for step in _steps(path):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _steps(path: str | None) -> list[str]:
    if not path:
        return []
    text = path.strip().removeprefix("$").removeprefix(".").replace("[*]", "")
    text = text.replace("[", ".").replace("]", "")
    return [step for step in text.split(".") if step]


def _format_of(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    if "ndjson" in kind or "jsonl" in kind or "json-seq" in kind:
        return "jsonl"
    if kind.endswith("csv"):
        return "csv"
    if kind.endswith("xml"):
        return "xml"
    return "json"


def _json(content: bytes, where: str, offset: int) -> Any:
    try:
        return msgspec.json.decode(content)  # ~4x the standard library, integers kept exact
    except msgspec.DecodeError:
        pass
    # Only a body that fails: the standard library's message says what is wrong, and where.
    try:
        return json.loads(content)
    except UnicodeDecodeError as exc:
        raise PermanentSourceError(
            f"{where}: body is not UTF-8 at byte offset {offset + exc.start}"
        ) from None
    except json.JSONDecodeError as exc:
        # `pos` counts characters of the decoded text; report bytes, as a hex dump would show them.
        text = content.decode("utf-8", errors="replace")
        byte_offset = offset + len(text[: exc.pos].encode())
        excerpt = text[max(0, exc.pos - 20) : exc.pos + 20].replace("\n", " ")[:_MAX_EXCERPT]
        raise PermanentSourceError(
            f"{where}: malformed JSON at byte offset {byte_offset}: {exc.msg} (near {excerpt!r})"
        ) from None


def _lines(content: bytes) -> list[tuple[bytes, int]]:
    lines, offset = [], 0
    for line in content.split(b"\n"):
        lines.append((line, offset))
        offset += len(line) + 1
    return lines


def _element_record(element: ET.Element) -> dict[str, Any]:
    """An XML element as a record: its attributes, and each child's text (nested children as dicts)."""
    record: dict[str, Any] = dict(element.attrib)
    for child in element:
        record[child.tag] = _element_record(child) if len(child) else child.text
    return record
