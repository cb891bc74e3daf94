"""YAML parsing that remembers the line of every key, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from atlas_assets.config.errors import ConfigProblem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[str | int, ...]

# Aliases may repeat what is written (`<<: *defaults` under every object), but a document that
# expands to many times its own size is an alias bomb ("billion laughs"): without a cap, building
# it takes minutes and ends in MemoryError.
MAX_EXPANSION = 20
MIN_EXPANDED_VALUES = 100_000


class _AliasBombError(Exception):
    """The document's aliases expand past the cap; carries the path where it was reached."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.path = path


@dataclass
class YamlDocument:
    """Plain Python data plus the 1-based line where each path starts.

    `data` is None when the file holds no document at all (empty, or only comments).
    """

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)
    # Values still allowed to be built before the document counts as an alias bomb.
    budget: int = 0

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys become problems."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        doc = YamlDocument(data=None)
        limit = doc.budget = max(MIN_EXPANDED_VALUES, MAX_EXPANSION * _written_nodes(node))
        doc.data = _to_python(loader, node, (), doc, frozenset())
        return doc
    except yaml.MarkedYAMLError as exc:
        return YamlDocument(data={}, problems=[_syntax_problem(exc, text)])
    except _AliasBombError as exc:
        message = (
            f"its aliases expand to more than {limit:,} values (an alias that repeats a list of "
            "aliases, a 'billion laughs'?); write the values out or use fewer nested aliases"
        )
        return YamlDocument(
            data={}, problems=[ConfigProblem(_dotted(exc.path[:1]), message, doc.line_of(exc.path[:1]))]
        )
    finally:
        loader.dispose()


def _written_nodes(root: yaml.Node) -> int:
    """How many nodes the text itself holds, each alias target counted once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return len(seen)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> ConfigProblem:
    """The parser's own words, at the line where it failed, and where the construct it was in began.

    An unclosed `[` is only noticed lines later, so the opening line is what the reader needs too.
    """
    lines = text.splitlines()
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    quote = _runaway_quote(text, line)
    if quote is not None:
        return quote
    # The file is already named in the error's header.
    message = f"invalid YAML: {exc.problem or 'cannot be parsed'}"
    if exc.context and exc.context.startswith("while "):
        message += f" {exc.context}"
        context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
        if context_line is not None and context_line != line:
            message += f" that starts on line {context_line}"
    elif exc.context:
        message = f"invalid YAML: {exc.context}, {exc.problem or 'cannot be parsed'}"
    if line is not None and "\t" in (lines[line - 1] if line <= len(lines) else ""):
        message += " (YAML does not allow tabs for indentation; use spaces)"
    return ConfigProblem("", message, line)


def _runaway_quote(text: str, error_line: int | None) -> ConfigProblem | None:
    """An unclosed quote, reported where it opens rather than where the parser gave up.

    The string swallows everything up to the next quote of its kind, so the parser fails lines
    later at a place that looks fine. A quoted string that spans lines and ends on the failing line
    (or never ends) is that case: runner.yaml has no use for multi-line quoted strings otherwise.
    """
    if error_line is None:
        return None
    scanner = yaml.SafeLoader(text)
    runaway = None
    try:
        while scanner.check_token():
            token = scanner.get_token()
            opened, closed = token.start_mark.line + 1, token.end_mark.line + 1
            if opened > error_line:
                break
            quoted = isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
            if quoted and opened != closed == error_line:
                runaway = token
    except yaml.MarkedYAMLError as exc:
        if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
            return ConfigProblem(
                "", "invalid YAML: the quote opened on this line is never closed", exc.context_mark.line + 1
            )
    finally:
        scanner.dispose()
    if runaway is None:
        return None
    message = (
        f"invalid YAML: the quote ({runaway.style}) opened on this line is not closed on it, so the "
        f"string runs on to the next {runaway.style} on line {error_line}, where parsing fails"
    )
    return ConfigProblem("", message, runaway.start_mark.line + 1)


def _to_python(loader: Any, node: yaml.Node, path: Path, doc: YamlDocument, active: frozenset[int]) -> Any:
    doc.budget -= 1
    if doc.budget < 0:
        raise _AliasBombError(path)
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in active:
        # `a: &x [*x]` would otherwise recurse forever.
        doc.problems.append(ConfigProblem(_dotted(path), "an alias may not refer to itself", doc.lines[path]))
        return None
    active = active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        return _mapping(loader, node, path, doc, active)
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, item, (*path, i), doc, active) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _mapping(
    loader: Any, node: yaml.MappingNode, path: Path, doc: YamlDocument, active: frozenset[int]
) -> dict[str, Any]:
    # `<<: *base` entries are spliced in by flatten_mapping; the keys written here may override
    # them (that is what merging is for), so only a second *written* key is a duplicate.
    written = {id(key_node) for key_node, _value in node.value}
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    seen: set[str] = set()
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problem = ConfigProblem(_dotted(path), "a key must be a plain name, not a list or mapping", line)
            doc.problems.append(problem)
            continue
        # Keys are names (tenants, sources, columns): keep the text as written, so `123:` or `no:`
        # stay the names the user typed instead of becoming an int or YAML 1.1's False.
        key = str(key_node.value)
        child = (*path, key)
        if id(key_node) in written:
            if key in seen:
                problem = ConfigProblem(_dotted(child), "duplicate key; each key may appear once", line)
                doc.problems.append(problem)
            seen.add(key)
        # The key's line, not the value's: `orders:` followed by an indented block points at `orders:`.
        doc.lines[child] = line
        result[key] = _to_python(loader, value_node, child, doc, active)
    return result


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)
