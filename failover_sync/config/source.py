"""YAML loading that remembers where each key was written, within bounds.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two duplicate
keys. Config errors must name the file, the key path and the line, so the document is
composed once into nodes, walked to record the line of every key path, and constructed with
the same safe constructor.

A config is small and written by hand, so the document is bounded before anything is built
from it: at most :data:`MAX_BYTES` of text, :data:`MAX_NODES` nodes *counting every alias
expansion* (what the loader and pydantic will walk), :data:`MAX_DEPTH` levels of nesting. A
"billion laughs" document (aliases of aliases) is refused after visiting at most
:data:`MAX_NODES` nodes, so it costs milliseconds and a few megabytes; a recursive alias
(``&a [*a]``) is refused as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

MAX_BYTES = 4 * 1024 * 1024
"""Largest config text, bytes (a config of 10,000 records is about 1 MB)."""
MAX_NODES = 200_000
"""Most YAML nodes in the expanded document (every alias counted each time it is used)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences (a real config needs 6)."""


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
    """The document is not valid YAML, or exceeds a bound; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.line = line
        self.path = path


def parse(text: str, path: Path | None = None) -> Source:
    """Parse YAML (or JSON, which is YAML) text within the module's bounds.

    Raises YamlSyntaxError for invalid YAML, a recursive alias, or a document past
    :data:`MAX_BYTES`, :data:`MAX_NODES` or :data:`MAX_DEPTH`.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise YamlSyntaxError(f"the config is {size} bytes; at most {MAX_BYTES} are accepted", None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc.problem}", _line(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", None) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep", None) from None
    source = Source(path=path, data=None)
    if node is None:
        source.data = {}
        return source
    _Walker(source).walk(node, ())
    try:
        source.data = yaml.SafeLoader("").construct_document(node)
    except yaml.MarkedYAMLError as exc:  # e.g. a mapping used as a key
        raise YamlSyntaxError(f"invalid YAML: {exc.problem}", _line(exc)) from None
    return source


def _line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark
    return mark.line + 1 if mark is not None else None


class _Walker:
    """Records key lines and duplicates; enforces the node, depth and recursion bounds."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.count = 0
        self.stack: set[int] = set()  # ids of the nodes being walked: a revisit is a cycle

    def walk(self, node: yaml.Node, path: KeyPath) -> None:
        line = node.start_mark.line + 1
        self.count += 1
        # Where the expansion happened (the key using the alias), not where the anchor is.
        keyed = next((n for n in range(len(path), 0, -1) if isinstance(path[n - 1], str)), 0)
        where = (self.source.lines.get(path[:keyed], line), path)
        if self.count > MAX_NODES:
            raise YamlSyntaxError(
                f"the document expands to more than {MAX_NODES} nodes (aliases counted each "
                "time they are used)",
                *where,
            )
        if len(path) > MAX_DEPTH:
            raise YamlSyntaxError(f"nested more than {MAX_DEPTH} levels deep", *where)
        if id(node) in self.stack:
            raise YamlSyntaxError("an alias refers to a node that contains it (recursive)", *where)
        self.source.lines.setdefault(path, line)
        if not isinstance(node, yaml.CollectionNode):
            return
        self.stack.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = (*path, key)
                key_line = key_node.start_mark.line + 1
                if key in seen:
                    self.source.duplicates.append((child, key_line))
                seen.add(key)
                self.source.lines[child] = key_line
                self.walk(value_node, child)
        else:
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index))
        self.stack.discard(id(node))


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
