"""`@frozen`: a frozen dataclass, made without compiling source text for each class.

`dataclass(frozen=True)` writes a class's `__init__`, `__eq__`, `__hash__`, `__repr__`,
`__setattr__` and `__delattr__` as source text and compiles each one: about half a
millisecond a class, and a check imports some sixty such classes before it reads its file.
`@frozen` compiles one `__init__`, `__eq__` and `__hash__` per number of fields, once, and
gives each class a copy with its own field names (`CodeType.replace`); `__repr__`,
`__setattr__` and `__delattr__` are shared functions or closures. The result behaves as
`dataclass(frozen=True)` does: the same `__init__` signature and defaults, equality and hash
values (the tuple of the compared fields), repr, `FrozenInstanceError` on assignment and
deletion, `__match_args__`, pickling, and `dataclasses.fields`/`replace`/`is_dataclass` (the
standard decorator still collects the fields). A class this cannot copy exactly (a default
factory, `init=False`, `kw_only`, an explicit `hash=`, a base class, or its own `__init__`,
`__eq__`, `__hash__`, `__repr__`, `__setattr__` or `__delattr__`) is handed to
`dataclass(frozen=True)` whole.
"""

from __future__ import annotations

import dataclasses
import inspect
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, field
from functools import cache
from types import FunctionType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_options: object) -> Callable[[Any], Any]:
        return lambda decorator: decorator


_T = TypeVar("_T")

# What `@frozen` writes; a class defining one of these itself goes to `dataclass`.
_METHODS = ("__init__", "__eq__", "__hash__", "__repr__", "__setattr__", "__delattr__")
# Names the copied functions use besides the fields: a field may not be called so.
_RESERVED = frozenset({"self", "other", "hash", "NotImplemented", "__class__", "_set"})


@dataclasses.dataclass(frozen=True)
class _Params:
    """Only for its `__dataclass_params__`: those of `dataclass(frozen=True)`."""


_FROZEN_PARAMS = _Params.__dataclass_params__  # type: ignore[attr-defined]


@cache
def _template(kind: str, arity: int) -> FunctionType:
    """The method `kind` ("init", "eq" or "hash") for `arity` fields named `_f0`, `_f1`, ...,
    compiled once; `_copy` renames its fields."""
    names = [f"_f{i}" for i in range(arity)]
    mine = "".join(f"self.{name}, " for name in names)
    if kind == "init":
        body = "".join(f"    _set(self, {name!r}, {name})\n" for name in names) or "    pass\n"
        source = f"def __init__(self, {', '.join(names)}):\n{body}"
    elif kind == "eq":
        theirs = "".join(f"other.{name}, " for name in names)
        source = (
            "def __eq__(self, other):\n"
            "    if other.__class__ is self.__class__:\n"
            f"        return ({mine}) == ({theirs})\n"
            "    return NotImplemented\n"
        )
    else:
        source = f"def __hash__(self):\n    return hash(({mine}))\n"
    namespace: dict[str, Any] = {"_set": object.__setattr__}
    exec(compile(source, f"<frozen {kind}>", "exec"), namespace)  # noqa: S102 - our own text
    function = namespace.pop(f"__{kind}__")
    assert isinstance(function, FunctionType)
    return function


def _copy(
    kind: str,
    cls: type,
    fields: list[str],
    defaults: tuple[object, ...] | None = None,
) -> FunctionType:
    """`_template(kind, len(fields))` with its placeholder names replaced by `fields`: in the
    parameters and the attribute-name constants (`__init__`), or the attribute names
    (`__eq__`, `__hash__`)."""
    template = _template(kind, len(fields))
    rename = {f"_f{i}": name for i, name in enumerate(fields)}
    code = template.__code__
    if kind == "init":
        code = code.replace(
            co_varnames=tuple(rename.get(name, name) for name in code.co_varnames),
            co_consts=tuple(rename.get(c, c) if isinstance(c, str) else c for c in code.co_consts),
        )
    else:
        code = code.replace(co_names=tuple(rename.get(name, name) for name in code.co_names))
    name = f"__{kind}__"
    if hasattr(code, "co_qualname"):
        code = code.replace(co_name=name, co_qualname=f"{cls.__qualname__}.{name}")
    function = FunctionType(code, template.__globals__, name, defaults)
    function.__qualname__ = f"{cls.__qualname__}.{name}"
    function.__module__ = cls.__module__
    return function


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(
        f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
    )
    return f"{self.__class__.__qualname__}({shown})"


def _frozen_attributes(cls: type, names: frozenset[str]) -> tuple[Callable[..., None], ...]:
    """`__setattr__` and `__delattr__` as `dataclass(frozen=True)` writes them."""

    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    for method in (__setattr__, __delattr__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return __setattr__, __delattr__


def _copyable(cls: type) -> bool:
    """Whether `@frozen` makes exactly what `dataclass(frozen=True)` would, read from the
    class body before the standard decorator replaces its `field(...)` specifiers."""
    if cls.__bases__ != (object,) or any(name in cls.__dict__ for name in _METHODS):
        return False
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if name in _RESERVED or any(w in text for w in ("ClassVar", "InitVar", "KW_ONLY")):
            return False
        specifier = cls.__dict__.get(name)
        if isinstance(specifier, dataclasses.Field) and (
            specifier.default_factory is not MISSING
            or not specifier.init
            or specifier.hash is not None
            or getattr(specifier, "kw_only", False) is True
        ):
            return False
    return True


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_T]) -> type[_T]:
    """`@dataclass(frozen=True)`, without compiling per class (see the module's text)."""
    if not _copyable(cls):
        return dataclasses.dataclass(frozen=True)(cls)
    documented = bool(cls.__doc__)
    if not documented:
        cls.__doc__ = cls.__name__  # spares `dataclass` working out a signature for it
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = list(dataclasses.fields(cls))  # type: ignore[arg-type]
    assert len(fields) == len(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    return _install(cls, fields, documented)


def _parameter(f: dataclasses.Field[Any]) -> str:
    text = f"{f.name}: {inspect.formatannotation(f.type)}"
    return text if f.default is MISSING else f"{text} = {f.default!r}"


def _install(cls: type[_T], fields: list[dataclasses.Field[Any]], documented: bool) -> type[_T]:
    names = [f.name for f in fields]
    defaults = [f.default for f in fields if f.default is not MISSING]
    for before, after in zip(fields, fields[1:], strict=False):
        if before.default is not MISSING and after.default is MISSING:
            raise TypeError(f"non-default argument {after.name!r} follows default argument")
    init = _copy("init", cls, names, tuple(defaults) or None)
    init.__annotations__ = {f.name: f.type for f in fields} | {"return": None}
    compared = [f.name for f in fields if f.compare]
    setattr_, delattr_ = _frozen_attributes(cls, frozenset(names))
    methods: dict[str, object] = {
        "__init__": init,
        "__repr__": _repr,
        "__eq__": _copy("eq", cls, compared),
        "__hash__": _copy("hash", cls, compared),
        "__setattr__": setattr_,
        "__delattr__": delattr_,
    }
    for name, method in methods.items():
        type.__setattr__(cls, name, method)
    cls.__dataclass_params__ = _FROZEN_PARAMS  # type: ignore[attr-defined]
    if not documented:  # as `dataclass` writes it from the signature
        cls.__doc__ = cls.__name__ + "(" + ", ".join(_parameter(f) for f in fields) + ")"
    return cls
