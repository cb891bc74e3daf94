"""YAML parsing that remembers the line of every key, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from atlas_assets.config.errors import ConfigProblem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain Python data plus the 1-based line where each path starts."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

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
            return YamlDocument(data={})
        doc = YamlDocument(data=None)
        doc.data = _to_python(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = ConfigProblem("", f"{file} is not valid YAML: {exc.problem}", line)
        return YamlDocument(data={}, problems=[problem])
    finally:
        loader.dispose()


def _to_python(loader: Any, node: yaml.Node, path: Path, doc: YamlDocument) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = (*path, str(key))
            if key in result:
                doc.problems.append(
                    ConfigProblem(_dotted(child), "duplicate key; each key may appear once", key_node.start_mark.line + 1)
                )
            doc.lines[child] = key_node.start_mark.line + 1
            result[key] = _to_python(loader, value_node, child, doc)
            doc.lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)
