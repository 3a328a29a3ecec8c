"""Property tests of the pure definition rules: identifiers, limits, and line reporting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition, parse_definition
from forgeline.plant.definition.checks import format_loc
from forgeline.plant.definition.types import gs1_check_digit
from tests.plant.conftest import edit

# A small but complete definition; the tests below vary one thing at a time.
MINIMAL = """\
format_version: 1
name: Test plant
version: "1"
site:
  code: T-1
  name: Test site
  shifts:
    - {{code: A, name: Day, start: "06:00", hours: 8}}
station_types:
  - {{code: press, name: Press, ideal_cycle_s: 10}}
areas:
  - code: AR
    name: Area
    lines:
      - code: L1
        name: Line
        stations:
{stations}
characteristics:
  - {{code: X, name: Thing, unit: mm, lsl: {lsl}, usl: {usl}}}
routings:
  - code: R
    name: Routing
    product_kind: handset
    operations:
      - {{code: OP, name: Press it, station_type: press, measurements: [X]}}
products:
  handsets:
    - {{code: H1, name: Phone, customer: C, gtin: "{gtin}", routing: R, tacs: ["{tac}"],
       dual_sim: true, territories: [IN]}}
customers:
  - {{code: C, name: Customer}}
"""


def minimal(
    *,
    stations: int = 1,
    lsl: float = 0,
    usl: float = 1,
    gtin: str = "8901234500019",
    tac: str = "35829104",
) -> str:
    lines = "\n".join(
        f"          - {{code: S-{i:02d}, name: Station {i}, type: press}}" for i in range(stations)
    )
    return MINIMAL.format(stations=lines, lsl=lsl, usl=usl, gtin=gtin, tac=tac)


def test_minimal_definition_is_valid() -> None:
    assert isinstance(parse_definition(minimal(), "m.yaml"), PlantDefinition)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_gtin_with_computed_check_digit_is_accepted(body: str) -> None:
    gtin = body + str(gs1_check_digit(body))
    parse_definition(minimal(gtin=gtin), "m.yaml")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(1, 9))
def test_gtin_with_wrong_check_digit_is_refused(body: str, offset: int) -> None:
    wrong = (gs1_check_digit(body) + offset) % 10
    with pytest.raises(DomainError, match="GTIN check digit"):
        parse_definition(minimal(gtin=body + str(wrong)), "m.yaml")


@given(st.text(alphabet="0123456789", min_size=0, max_size=12))
def test_tac_is_exactly_eight_digits(tac: str) -> None:
    if len(tac) == 8:
        parse_definition(minimal(tac=tac), "m.yaml")
    else:
        with pytest.raises(DomainError):
            parse_definition(minimal(tac=tac), "m.yaml")


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3))


@given(finite, finite)
def test_limits_are_valid_exactly_when_lsl_is_below_usl(lsl: float, usl: float) -> None:
    text = minimal(lsl=lsl, usl=usl)
    if lsl < usl:
        parse_definition(text, "m.yaml")
    else:
        with pytest.raises(DomainError) as caught:
            parse_definition(text, "m.yaml")
        assert "characteristics[0].usl: usl" in caught.value.message


@given(st.integers(1, 30), st.data())
def test_error_line_is_the_faulty_station(count: int, data: st.DataObject) -> None:
    bad = data.draw(st.integers(0, count - 1))
    text, line = edit(
        minimal(stations=count),
        f"{{code: S-{bad:02d}, name: Station {bad}, type: press}}",
        f"{{code: S-{bad:02d}, name: Station {bad}, type: press, capacity: -1}}",
    )
    with pytest.raises(DomainError) as caught:
        parse_definition(text, "m.yaml")
    assert caught.value.message.startswith(
        f"m.yaml:{line}: areas[0].lines[0].stations[{bad}].capacity: "
    )


@given(
    st.lists(
        st.one_of(st.integers(0, 99), st.from_regex(r"[a-z_]{1,8}", fullmatch=True)), max_size=6
    )
)
def test_format_loc_round_trips_the_parts(loc: list[int | str]) -> None:
    text = format_loc(tuple(loc))
    assert text.count("[") == sum(isinstance(p, int) for p in loc)
    for part in loc:
        assert str(part) in text
