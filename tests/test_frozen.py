"""`@frozen` against `dataclass(frozen=True)`: each class body below is made both ways and
every observable behaviour compared (signature, docstring, equality, hash values, repr,
immutability, `dataclasses.fields`/`replace`/`asdict`, `__match_args__`, pickling, errors)."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from calculus import nodes
from calculus.frozen import frozen
from calculus.syntax import parse

ROOT = Path(__file__).parent.parent


def _span() -> Any:
    return field(default=(0, 0), repr=False, compare=False)


# Each body twice at module level (pickle finds classes by name): `Fz*` by @frozen, `Dc*` by
# the standard decorator.
@frozen
class FzEmpty:
    span: tuple[int, int] = _span()


@dataclass(frozen=True)
class DcEmpty:
    span: tuple[int, int] = _span()


@frozen
class FzOne:
    """Documented."""

    value: Fraction


@dataclass(frozen=True)
class DcOne:
    """Documented."""

    value: Fraction


@frozen
class FzMany:
    op: str
    left: object
    right: object = None
    text: str = field(default="", compare=False)
    span: tuple[int, int] = _span()

    def describe(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class DcMany:
    op: str
    left: object
    right: object = None
    text: str = field(default="", compare=False)
    span: tuple[int, int] = _span()

    def describe(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@frozen
class FzFactory:  # a default factory: handed to `dataclass(frozen=True)` whole
    name: str
    items: dict[str, int] = field(default_factory=dict)


PAIRS = [(FzEmpty, DcEmpty), (FzOne, DcOne), (FzMany, DcMany)]


def _instances(cls: type) -> list[Any]:
    if cls.__name__.endswith("Empty"):
        return [cls(), cls((1, 2)), cls(span=(3, 4))]
    if cls.__name__.endswith("One"):
        return [cls(Fraction(1, 2)), cls(value=Fraction(1, 2)), cls(Fraction(3)), cls(3)]
    return [
        cls("+", 1),
        cls("+", 1, None, "x", (5, 6)),
        cls("+", 1, 2),
        cls(op="-", left=Fraction(1, 3), right=(1, "a")),
        cls("+", left=1, text="other text"),
        cls("*", (1,), span=(9, 9)),
    ]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_the_class_is_the_same(ours: type, theirs: type) -> None:
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__doc__ == theirs.__doc__.replace(theirs.__name__, ours.__name__, 1)
    assert ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    assert ours.__dataclass_params__.__repr__() == theirs.__dataclass_params__.__repr__()  # type: ignore[attr-defined]
    assert dataclasses.is_dataclass(ours)
    described = [
        (f.name, f.type, f.default, f.repr, f.compare, f.hash, f.init)
        for f in dataclasses.fields(ours)
    ]
    assert described == [
        (f.name, f.type, f.default, f.repr, f.compare, f.hash, f.init)
        for f in dataclasses.fields(theirs)
    ]
    assert ours.__init__.__qualname__ == f"{ours.__qualname__}.__init__"  # type: ignore[misc]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_the_instances_behave_the_same(ours: type, theirs: type) -> None:
    mine, others = _instances(ours), _instances(theirs)
    for a, b in zip(mine, others, strict=True):
        assert repr(a) == repr(b).replace(theirs.__qualname__, ours.__qualname__)
        assert hash(a) == hash(b)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)
        assert a != b and b != a  # another class is never equal
        assert copy.deepcopy(a) == a
        assert pickle.loads(pickle.dumps(a)) == a
        assert type(pickle.loads(pickle.dumps(a))) is ours
    for i, (a, b) in enumerate(zip(mine, others, strict=True)):
        for c, d in zip(mine[i:], others[i:], strict=True):
            assert (a == c) == (b == d)
            assert (a != c) == (b != d)
            assert (hash(a) == hash(c)) == (hash(b) == hash(d))


@pytest.mark.parametrize("cls", [FzOne, FzMany, DcOne, DcMany])
def test_assignment_and_deletion_raise(cls: type) -> None:
    instance = _instances(cls)[0]
    name = dataclasses.fields(cls)[0].name
    before = getattr(instance, name)
    with pytest.raises(FrozenInstanceError, match=f"cannot assign to field '{name}'"):
        setattr(instance, name, 7)
    with pytest.raises(FrozenInstanceError, match=f"cannot delete field '{name}'"):
        delattr(instance, name)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'elsewhere'"):
        instance.elsewhere = 1
    assert getattr(instance, name) == before


def test_an_unhashable_field_makes_an_unhashable_record() -> None:
    for cls in (FzMany, DcMany):
        with pytest.raises(TypeError, match="unhashable type: 'list'"):
            hash(cls("*", [1]))
        assert cls("*", [1]) == cls("*", [1])


def test_replace_and_the_methods_of_the_body() -> None:
    a = FzMany("+", 1, 2, "text")
    b = dataclasses.replace(a, right=3)
    assert (b.op, b.left, b.right, b.text) == ("+", 1, 3, "text")
    assert b.describe() == "1 + 3"
    match b:
        case FzMany(op, left, right):
            assert (op, left, right) == ("+", 1, 3)
        case _:
            pytest.fail("__match_args__ did not match")


@pytest.mark.parametrize(
    "arguments",
    [((), {}), ((1, 2, 3, 4, 5, 6), {}), (("+",), {"left": 1, "op": "-"}), (("+", 1), {"x": 1})],
)
def test_wrong_arguments_raise_the_same_errors(
    arguments: tuple[tuple[Any, ...], dict[str, Any]],
) -> None:
    args, kwargs = arguments
    with pytest.raises(TypeError) as ours:
        FzMany(*args, **kwargs)
    with pytest.raises(TypeError) as theirs:
        DcMany(*args, **kwargs)
    assert str(ours.value).replace("FzMany", "C") == str(theirs.value).replace("DcMany", "C")


def test_a_default_factory_goes_to_the_standard_decorator() -> None:
    a, b = FzFactory("a"), FzFactory("a")
    assert a == b and a.items == {} and a.items is not b.items
    assert FzFactory.__init__.__code__.co_filename == "<string>"  # written by `dataclass`
    with pytest.raises(FrozenInstanceError):
        a.name = "b"  # type: ignore[misc]


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @frozen
        class Wrong:
            a: int = 0
            b: int  # type: ignore[misc]


def test_the_syntax_tree_is_made_by_frozen_and_survives_pickling() -> None:
    classes = [
        value
        for value in vars(nodes).values()
        if isinstance(value, type) and value.__module__ == nodes.__name__
    ]
    records = [cls for cls in classes if dataclasses.is_dataclass(cls)]
    assert len(records) >= 40
    assert all(cls.__init__.__code__.co_filename == "<frozen init>" for cls in records)  # type: ignore[misc]
    tree = parse((ROOT / "proofs" / "speed_prior.cost").read_text(), "speed_prior.cost")
    again = pickle.loads(pickle.dumps(tree))
    assert again == tree and hash(again) == hash(tree)
    assert [s.span for s in again.statements] == [s.span for s in tree.statements]
