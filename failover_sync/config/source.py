"""YAML loading that remembers where each key was written.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two duplicate
keys. Config errors must name the file, the key path and the line, so the document is
composed once into nodes, walked to record the line of every key path, and constructed with
the same safe constructor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass
class Source:
    """A parsed config document: ``data`` plus the 1-based line of every key path."""

    path: Path | None
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class YamlSyntaxError(ValueError):
    """The document is not valid YAML; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def parse(text: str, path: Path | None = None) -> Source:
    """Parse YAML (or JSON, which is YAML) text. Raises YamlSyntaxError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(f"invalid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", None) from None
    source = Source(path=path, data=None)
    if node is None:
        source.data = {}
        return source
    _walk(node, (), source)
    source.data = yaml.SafeLoader("").construct_document(node)
    return source


def _walk(node: yaml.Node, path: KeyPath, source: Source) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                source.duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            source.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), source)


def format_path(path: KeyPath) -> str:
    """``("records", "app.example.com", "records", 0, "value")`` ->
    ``records["app.example.com"].records[0].value``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out
