"""Loading runner.yaml: parse, interpolate, validate, resolve; every problem reported at once."""

from __future__ import annotations

import copy
import difflib
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from atlas_assets.config.errors import ConfigProblem, FieldError, RunnerConfigError
from atlas_assets.config.interpolation import EnvRef, interpolate
from atlas_assets.config.location import CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE, runner_config_path
from atlas_assets.config.name_collisions import name_collisions
from atlas_assets.config.naming import QUARANTINE_SUFFIX_PATTERN
from atlas_assets.config.partition_start import partitionless_problems
from atlas_assets.config.references import reference_problems
from atlas_assets.config.resolve import ObjectSpec, resolve_objects
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.config.settings import NAME_PATTERN
from atlas_assets.config.yaml_source import Path as PathTuple
from atlas_assets.config.yaml_source import YamlDocument, parse_yaml
from atlas_assets.connectors.registry import SOURCE_KINDS

_NAME_RULE = (
    "must be lower-case letters, digits and underscores, starting with a letter, without `__` or a "
    "trailing `_` (max 63 characters; `__` separates the names in generated identifiers)"
)
_SUFFIX_RULE = (
    "must be `__` followed by lower-case letters and digits, words joined by single underscores "
    "(e.g. '__quarantine'): no object name can contain `__`, so no quarantine table can be an object's table"
)
_TOP_LEVEL = ", ".join(RunnerConfig.model_fields)


def load_runner_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[RunnerConfig, list[ObjectSpec]]:
    """The validated config and its resolved objects, or a `RunnerConfigError` listing every problem.

    `path` defaults to `runner_config_path()`; `env` (for `${VAR}`) defaults to `os.environ`. Unlike
    `parse_runner_config`, what the file points at on disk is checked too (`config.references`).
    """
    file = Path(path) if path is not None else runner_config_path()
    text = _read(file, from_env=path is None and bool(os.environ.get(CONFIG_ENV_VAR)))
    return _parse(text, str(file), os.environ if env is None else env, base_dir=file.absolute().parent)


def _read(file: Path, from_env: bool) -> str:
    """The file's text, or a `RunnerConfigError` that says which file was looked for and how to choose it."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        chosen_by = f"{CONFIG_ENV_VAR} points at it" if from_env else f"{CONFIG_ENV_VAR} is not set"
        message = (
            f"runner config file not found at {file.absolute()} ({chosen_by}); set {CONFIG_ENV_VAR} "
            f"to the file's path or run from the directory that holds {DEFAULT_CONFIG_FILE}"
        )
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start} cannot be decoded)"
    except OSError as exc:
        message = f"cannot be read: {exc.strerror or exc}"
    raise RunnerConfigError(str(file), [ConfigProblem("", message)])


def parse_runner_config(
    text: str, file: str, env: Mapping[str, str]
) -> tuple[RunnerConfig, list[ObjectSpec]]:
    """As `load_runner_config`, from text; `file` only names the source in messages, and the
    files and directories the text refers to are not looked at."""
    return _parse(text, file, env, base_dir=None)


def _parse(
    text: str, file: str, env: Mapping[str, str], base_dir: Path | None
) -> tuple[RunnerConfig, list[ObjectSpec]]:
    doc = parse_yaml(text, file)
    problems = [*doc.problems, *interpolate(doc, env)]
    if not isinstance(doc.data, dict):
        raise RunnerConfigError(file, [*problems, _not_a_mapping(doc)])
    try:
        config = RunnerConfig.model_validate(doc.data)
    except ValidationError as exc:
        validation = _validation_problems(exc, doc)
        # A value already reported while reading (a missing `${VAR}` left as "", a recursive alias left
        # as null) would fail validation too: the same problem twice.
        shadowed = {p.path for p in problems if p.path}
        problems += [p for _path, p in validation if p.path not in shadowed]
        problems += _resolve_problems_elsewhere(doc, [path for path, _p in validation])
        raise RunnerConfigError(file, problems) from None
    specs, resolve_problems = resolve_objects(config)
    resolve_problems += partitionless_problems(config, specs)
    if base_dir is not None:
        resolve_problems += reference_problems(config, specs, base_dir)
    problems += [_with_line(p, doc) for p in resolve_problems]
    problems += name_collisions(config, specs, lambda dotted: doc.line_of(_path_tuple(dotted)))
    if problems:
        raise RunnerConfigError(file, problems)
    return config, specs


def _resolve_problems_elsewhere(doc: YamlDocument, failed: list[PathTuple]) -> list[ConfigProblem]:
    """Inheritance problems of the tenants, sources and objects that did validate.

    Resolving needs a valid model, so the entities holding a validation problem are left out and
    the rest is resolved: a typo in one object and a missing `partitions.start` in another are
    reported together. Problems under `defaults` or `warehouse` affect every object, so then
    nothing is resolved rather than guessing.
    """
    pruned = copy.deepcopy(doc.data)
    for path in failed:
        entity = _failed_entity(path)
        if entity is None or not _remove_entity(pruned, entity):
            return []
    try:
        config = RunnerConfig.model_validate(pruned)
    except ValidationError:
        return []
    _specs, problems = resolve_objects(config)
    return [_with_line(p, doc) for p in problems]


def _failed_entity(path: PathTuple) -> PathTuple | None:
    """The object, source or tenant that a problem at `path` invalidates; None outside `tenants`."""
    if len(path) < 2 or path[0] != "tenants":
        return None
    if len(path) >= 6 and path[2] == "sources" and path[4] == "objects":
        return path[:6]
    if len(path) >= 4 and path[2] == "sources":
        return path[:4]
    return path[:2]


def _remove_entity(data: dict[str, Any], entity: PathTuple) -> bool:
    """Drop `entity` from the raw data, and the source or tenant it leaves empty; False if not a mapping."""
    for end in range(len(entity), 1, -2):
        parent = data
        for part in entity[: end - 1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            return False
        parent.pop(entity[end - 1], None)
        if parent:
            return True
    return True


def _not_a_mapping(doc: YamlDocument) -> ConfigProblem:
    expected = f"expected a mapping with the top-level keys {_TOP_LEVEL}"
    if doc.data is None:
        return ConfigProblem("", f"the file is empty; {expected}", 1)
    return ConfigProblem("", f"the document is {_kind_of(doc.data)}; {expected}", doc.line_of(()))


def _validation_problems(exc: ValidationError, doc: YamlDocument) -> list[tuple[PathTuple, ConfigProblem]]:
    """One problem per place: a union (`date | datetime`) reports one error per member for one value."""
    problems: dict[tuple[PathTuple, bool], ConfigProblem] = {}
    for error in exc.errors(include_url=False):
        path, problem = _problem(error, doc)
        # A bad name and a bad body at the same path are two problems; keyed apart by the name flag.
        problems.setdefault((path, "[key]" in error["loc"]), problem)
    return [(path, problem) for (path, _is_name), problem in problems.items()]


def _problem(error: Any, doc: YamlDocument) -> tuple[PathTuple, ConfigProblem]:
    loc = tuple(error["loc"])
    is_name = "[key]" in loc
    path = _yaml_path(doc.data, loc[: loc.index("[key]")] if is_name else loc)
    path += _field_suffix(error)
    message = f"name {loc[loc.index('[key]') - 1]!r} {_NAME_RULE}" if is_name else _message(error, loc)
    return path, ConfigProblem(".".join(map(str, path)), message, doc.line_of(path))


def _field_suffix(error: Any) -> tuple[str, ...]:
    """The field a model-level error is about: a `FieldError`'s field, or a missing union tag."""
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("error"), FieldError):
        return tuple(ctx["error"].field.split("."))
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return (str(ctx.get("discriminator", "kind")).strip("'"),)
    return ()


def _yaml_path(data: Any, loc: tuple[Any, ...]) -> PathTuple:
    """Pydantic's loc with its own entries (union tags) dropped."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
        elif isinstance(node, list) and part in node:
            # The `objects: [a, b]` shorthand: a name's place is its item in the list.
            path.append(node.index(part))
            break
        elif isinstance(node, dict) and not _is_union_tag(node, part):
            # A key the user did not write: the error is about a missing or extra key here.
            path.append(part)
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    """Whether the user's data has `part` under `node` (a key of a mapping or an index of a list)."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def _is_union_tag(node: dict[Any, Any], part: Any) -> bool:
    """Whether `part` is pydantic's discriminated-union tag (the source's `kind`) rather than a config key."""
    return isinstance(part, str) and part == node.get("kind")


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    """What was expected, in runner.yaml's words; never the offending value (it may be a secret)."""
    kind, msg, ctx = error["type"], error["msg"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown source kind {ctx.get('tag')!r}; expected one of: {_kinds()}"
    if kind == "union_tag_not_found":
        return f"required key is missing; expected one of: {_kinds()}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        return _NAME_RULE
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == QUARANTINE_SUFFIX_PATTERN:
        return _SUFFIX_RULE
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"is empty; at least {least} {'entry is' if least == 1 else 'entries are'} required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {_kind_of(error.get('input'))}"
    message = msg.removeprefix("Value error, ")
    if kind.endswith("_type"):
        message += f", got {_kind_of(error.get('input'))}"
    return message


def _kinds() -> str:
    return ", ".join(repr(k) for k in SOURCE_KINDS)


def _kind_of(value: Any) -> str:
    """A value's YAML kind, safe to print: the value itself may be a secret."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, EnvRef):
        return "a secret"
    for kind, name in ((bool, "true/false"), (int | float, "a number"), (str, "text"), (list, "a list")):
        if isinstance(value, kind):
            return name
    return "a mapping" if isinstance(value, dict) else f"a {type(value).__name__}"


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    if not allowed:
        return f"unknown key {key!r}"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key {key!r}; {hint}expected one of: {', '.join(sorted(allowed))}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at pydantic `loc` accepts, found by walking RunnerConfig's annotations."""
    annotation: Any = RunnerConfig
    for part in loc:
        annotation = _child_annotation(annotation, part)
        if annotation is None:
            return []
    model = _unwrap(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


def _child_annotation(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        if field is not None:
            return field.annotation
        # A one-member discriminated union collapses to the member, but its loc still holds the tag.
        return annotation if _is_kind_of(annotation, part) else None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        return args[1]
    if origin is list:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        # A discriminated union's loc entry is the tag: pick the member whose `kind` it is.
        return next((member for member in args if _is_kind_of(member, part)), None)
    return None


def _is_kind_of(model: Any, tag: Any) -> bool:
    """Whether `model` is the union member that pydantic's loc entry `tag` selects by `kind`."""
    kind = getattr(model, "model_fields", {}).get("kind")
    return kind is not None and tag in typing.get_args(kind.annotation)


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to the type that holds the keys."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _with_line(problem: ConfigProblem, doc: YamlDocument) -> ConfigProblem:
    if problem.line is not None:
        return problem
    return ConfigProblem(problem.path, problem.message, doc.line_of(_path_tuple(problem.path)))


def _path_tuple(dotted: str) -> PathTuple:
    return tuple(dotted.split("."))
