"""Parse a plant-definition YAML document, naming file, line and field in every error.

The text is composed into PyYAML's node graph with the SafeLoader (no arbitrary objects), then
constructed into plain data. Pydantic's error locations and the cross-reference problems are
walked back through the node graph to the line where the offending key or item starts.
"""

from __future__ import annotations

from typing import Any, NoReturn

import yaml
from pydantic import ValidationError

from forgeline.errors import DomainError
from forgeline.plant.definition.checks import Loc, Problem, check_definition, format_loc
from forgeline.plant.definition.document import FORMAT_VERSION, PlantDefinition

ERROR_CODE = "plant.invalid_definition"
MAX_REPORTED = 50


def parse_definition(text: str, source: str) -> PlantDefinition:
    """The validated definition, or `DomainError("plant.invalid_definition")` naming the line.

    `source` is how the message names the document (a file name, or "request body").
    """
    root = _compose(text, source)
    data = _construct(root, source)
    if not isinstance(data, dict):
        _raise(source, [(_line(root), "", "the document must be a mapping of sections")])
    _check_format_version(root, data, source)
    try:
        plant = PlantDefinition.model_validate(data)
    except ValidationError as exc:
        _raise(source, [_located(root, tuple(e["loc"]), e["msg"]) for e in exc.errors()])
    problems = check_definition(plant)
    if problems:
        _raise(source, [_located(root, p.loc, p.message) for p in problems])
    return plant


def _compose(text: str, source: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        context = exc.context or ""
        # An unclosed bracket is noticed lines later; say where the construct began.
        if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" (started at line {exc.context_mark.line + 1})"
        problem = " ".join(p for p in (context, exc.problem) if p)
        _raise(source, [(line, "", f"YAML syntax error: {problem}")])
    except yaml.YAMLError as exc:
        _raise(source, [(0, "", f"YAML syntax error: {exc}")])
    if root is None:
        _raise(source, [(1, "", "the document is empty")])
    _refuse_duplicate_keys(root, (), source)
    return root


def _construct(root: yaml.Node, source: str) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        _raise(source, [(line, "", f"YAML error: {exc.problem}")])
    finally:
        loader.dispose()


def _refuse_duplicate_keys(node: yaml.Node, loc: Loc, source: str) -> None:
    # PyYAML keeps the last of two equal keys silently; in a plant definition that hides a typo.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                _raise(
                    source, [(key.start_mark.line + 1, format_loc((*loc, name)), "duplicate key")]
                )
            seen.add(name)
            _refuse_duplicate_keys(value, (*loc, name), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(item, (*loc, index), source)


def _check_format_version(root: yaml.Node, data: dict[str, Any], source: str) -> None:
    # Checked before the schema: a document in another format would only produce noise.
    version = data.get("format_version")
    if version is not None and version != FORMAT_VERSION:
        _raise(
            source,
            [
                _located(
                    root,
                    ("format_version",),
                    f"format_version {version!r} is not supported; "
                    f"this Forgeline reads format_version {FORMAT_VERSION}",
                )
            ],
        )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def node_at(root: yaml.Node, loc: Loc) -> yaml.Node:
    """The deepest node along `loc`; a missing key stops at the mapping that lacks it."""
    node = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    # Point at the key, which is where a reader looks for the field.
                    child = value if isinstance(value, yaml.CollectionNode) else key
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node


def _located(root: yaml.Node, loc: tuple[Any, ...], message: str) -> tuple[int, str, str]:
    # Pydantic adds "[key]" for a bad mapping key; it names no node of its own.
    path: Loc = tuple(p for p in loc if p != "[key]")
    return _line(node_at(root, path)), format_loc(path), message


def _raise(source: str, located: list[tuple[int, str, str]]) -> NoReturn:
    located = sorted(located, key=lambda item: item[0])
    line, field, message = located[0]
    where = f"{source}:{line}: " + (f"{field}: " if field else "")
    more = f" (and {len(located) - 1} more problem(s))" if len(located) > 1 else ""
    details = {
        "source": source,
        "problems": [
            {"line": ln, "field": fd, "problem": msg} for ln, fd, msg in located[:MAX_REPORTED]
        ],
    }
    raise DomainError(ERROR_CODE, f"{where}{message}{more}", details)


__all__ = ["ERROR_CODE", "Problem", "node_at", "parse_definition"]
