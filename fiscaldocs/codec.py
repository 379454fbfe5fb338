"""The typed records of `fiscaldocs.model` to and from JSON: the staging format between stages.

JSON, not pickle: reading a staged file executes nothing, anyone can inspect it (`jq`), and it
survives a Python upgrade. Decoding follows the dataclasses' type hints, so a Decimal comes back
a Decimal (written as its exact decimal string), an enum its enum, a tuple a tuple.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class StagingFormatError(ValueError):
    """A staged file that is not what this version of fiscaldocs writes."""


def to_data(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, list | tuple):
        return [to_data(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def from_data(tp: Any, data: Any) -> Any:
    if data is None or tp is Any:
        return data
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return from_data(options[0], data) if len(options) == 1 else data
    if origin in (list, tuple, dict) or (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
        expected = dict if origin is dict or origin is None else list
        if not isinstance(data, expected):
            raise TypeError(f"expected {expected.__name__} for {tp}, found {type(data).__name__}")
    if origin is list:
        return [from_data(args[0], x) for x in data]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], x) for x in data)
        return tuple(from_data(a, x) for a, x in zip(args, data, strict=True))
    if origin is dict:
        return {k: from_data(args[1], v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{name: from_data(hints[name], value) for name, value in data.items()})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is Decimal:
        return Decimal(data)
    if tp is float and isinstance(data, int):
        return float(data)
    return data


def write_json(path: Path, obj: Any) -> None:
    """Atomically: a reader (another worker, the writer) sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{_unique()}.tmp")
    tmp.write_text(json.dumps(to_data(obj), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


def read_json(path: Path, tp: type[T]) -> T:
    try:
        return from_data(tp, json.loads(Path(path).read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
        raise StagingFormatError(f"{path}: not a staged {tp.__name__} of this fiscaldocs version ({exc})") from exc


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unique() -> str:
    import os
    import uuid

    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
