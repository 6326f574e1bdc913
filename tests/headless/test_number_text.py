"""Numbers written many at a time read exactly as `repr` writes them one at a time."""

import math
import random
import struct

import pytest

from tf_tui.core.history import MAX_STEP
from tf_tui.headless.history_points import small_to_zero
from tf_tui.headless.number_text import float_texts, int_texts, optional_float_texts

EDGES = [0.0, -0.0, 1e-13, -1e-13, 1e-12, -1e-12, 1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, 1e15]
EDGES += [-1e15, 0.1, 3200.0, 0.003, 1e-05, 5e-324, 123456.789012, 100.00001, -2.5, 2.0**53]


def _random_floats(count: int) -> list[float]:
    """Floats of every magnitude and shape: powers of ten, whole numbers, rounded decimals, any bits."""
    rng = random.Random(25)
    values: list[float] = []
    while len(values) < count:
        kind = rng.randrange(4)
        if kind == 0:
            value = rng.choice((1, -1)) * 10 ** rng.uniform(-14, 18)
        elif kind == 1:
            value = float(rng.randint(-(10**17), 10**17))
        elif kind == 2:
            value = round(rng.uniform(-100, 100), rng.randint(0, 12))
        else:
            value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if math.isfinite(value):
            values.append(value)
    return values


@pytest.mark.parametrize("values", [EDGES, _random_floats(2_000), [1.0, 2.5], [0.5, -0.0]])
def test_floats_are_written_as_repr_writes_each_read_as_a_point_reads_it(values):
    assert float_texts(values) == [repr(small_to_zero(value)) for value in values]


def test_each_float_alone_is_written_as_repr_writes_it():
    """A float at a time, so that those msgspec writes are compared too (a list is written by repr as a
    whole once any of its floats is one msgspec would write otherwise)."""
    mismatches = [
        value for value in [*EDGES, *_random_floats(50_000)] if float_texts([value]) != [repr(small_to_zero(value))]
    ]
    assert mismatches == []


def test_a_list_of_floats_with_a_value_that_reads_as_zero_or_an_exponent_is_written_value_by_value():
    # Each alone is one msgspec writes otherwise than repr: the whole list is still written as repr does.
    for odd in (-0.0, 1e-13, 1e-05, 1e16):
        values = [1.5, odd, 2.5]
        assert float_texts(values) == ["1.5", repr(small_to_zero(odd)), "2.5"]


def test_absent_values_stay_absent_in_their_places():
    assert optional_float_texts([None, 1.0, None, 1e-05]) == [None, "1.0", None, "1e-05"]
    assert optional_float_texts([None, None]) == [None, None]
    assert float_texts([]) == []


def test_steps_are_written_as_str_writes_them():
    steps = [0, 1, 9, 10, 99, 100, 12345, 2**31, 2**32 + 1, MAX_STEP - 1, MAX_STEP]
    steps += random.Random(25).sample(range(MAX_STEP), 1000)
    assert int_texts(steps) == [str(step) for step in steps]
    assert int_texts([]) == []
