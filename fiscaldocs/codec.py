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
from collections.abc import Callable
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
    return _decoder(tp)(data)


@cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """The decoding function of one type, made once per type (the writer decodes every staged
    document: walking the type hints per value cost ten times the JSON parse)."""
    if tp is Any:
        return _same
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _nullable(_decoder(options[0])) if len(options) == 1 else _same
    if origin is list:
        item = _decoder(args[0])
        return _nullable(lambda data: [item(x) for x in _expect(list, tp, data)])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return _nullable(lambda data: tuple(item(x) for x in _expect(list, tp, data)))
        items = [_decoder(a) for a in args]
        return _nullable(lambda data: tuple(f(x) for f, x in zip(items, _expect(list, tp, data), strict=True)))
    if origin is dict:
        value = _decoder(args[1])
        return _nullable(lambda data: {k: value(v) for k, v in _expect(dict, tp, data).items()})
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        fields = {f.name: hints[f.name] for f in dataclasses.fields(tp)}

        def dataclass_(data: Any) -> Any:
            # field decoders resolved lazily: the model's types refer to each other
            return tp(**{name: _decoder(fields[name])(value) for name, value in _expect(dict, tp, data).items()})
        return _nullable(dataclass_)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _nullable(tp)
    if tp is Decimal:
        return _nullable(Decimal)
    if tp is float:
        return _nullable(lambda data: float(data) if isinstance(data, int) else data)
    return _same


def _same(data: Any) -> Any:
    return data


def _nullable(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda data: None if data is None else decode(data)


def _expect(kind: type, tp: Any, data: Any) -> Any:
    if not isinstance(data, kind):
        raise TypeError(f"expected {kind.__name__} for {tp}, found {type(data).__name__}")
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
