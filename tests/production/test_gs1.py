"""GS1 identifiers: element strings in both forms, check digits, serials and SSCCs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forgeline.errors import DomainError
from forgeline.plant.definition import parse_definition
from forgeline.plant.service import DEFAULT_PLANT
from forgeline.production.gs1 import (
    GS,
    Gs1Id,
    format_sscc,
    gtin_check_digit,
    is_valid_gtin,
    is_valid_sscc,
    make_sscc,
    parse_gs1_id,
    parse_sscc,
    to_gtin14,
)

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GLASS = Gs1Id("08901234500019", "ABC123")
serials = st.text(alphabet=CSET82, min_size=1, max_size=20)


@st.composite
def gtins(draw: st.DrawFn, lengths: tuple[int, ...] = (8, 12, 13, 14)) -> str:
    body = draw(st.from_regex(rf"[0-9]{{{draw(st.sampled_from(lengths)) - 1}}}", fullmatch=True))
    return body + str(gtin_check_digit(body))


def malformed(text: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_gs1_id(text)
    assert caught.value.code == "gs1.malformed"
    return caught.value


@pytest.mark.parametrize(
    "text",
    [
        "(01)08901234500019(21)ABC123",
        "0108901234500019" + "21ABC123",
        "]d20108901234500019" + "21ABC123",
        "]Q30108901234500019" + GS + "21ABC123",  # a needless GS after a fixed-length AI
        "]d2" + GS + "0108901234500019" + "21ABC123",  # FNC1 in first position sent as GS
        "21ABC123" + GS + "0108901234500019",
        "(21)ABC123(01)08901234500019",
        "0108901234500019" + "21ABC123" + GS + "\r\n",
    ],
)
def test_every_form_of_the_same_id_parses_the_same(text: str) -> None:
    assert parse_gs1_id(text) == GLASS
    assert GLASS.element_string == "(01)08901234500019(21)ABC123"
    assert str(GLASS) == GLASS.element_string


def test_gtin13_becomes_gtin14() -> None:
    assert to_gtin14("8901234500019") == "08901234500019"
    assert Gs1Id("8901234500019", "ABC123") == GLASS
    assert to_gtin14("96385074") == "00000096385074"


def test_default_plant_gtins_are_valid() -> None:
    plant = parse_definition(DEFAULT_PLANT.read_text(encoding="utf-8"), "default.yaml")
    assert all(is_valid_gtin(product.gtin) for product in plant.all_products())


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("(01)08901234500018(21)ABC123", "should end in 9"),
        ("(01)0890123450001(21)ABC123", "14 digits"),
        ("(01)08901234500019", "lacks (21) serial"),
        ("(21)ABC123", "lacks (01) GTIN"),
        ("(01)08901234500019(21)ABC(10)LOT1", "AI (10)"),
        ("(01)08901234500019(00)106141411234567897(21)A", "AI (00)"),
        ("0108901234500019" + "10LOT1" + GS + "21A", "'10LOT1"),
        ("(01)08901234500019(21)A(01)08901234500019", "twice"),
        ("0108901234500019" + "21A" + GS + "21B", "twice"),
        ("(01)08901234500019(21)", "1 to 20"),
        ("(01)08901234500019(21)" + "A" * 21, "1 to 20"),
        ("(01)08901234500019(21)AB CD", "character set 82"),
        ("(01)08901234500019(21)ABC#", "character set 82"),
        ("(01)08901234500019(21)ÄBC", "character set 82"),
        ("]d1010890123450001921A", "symbology identifier"),
        ("01089O1234500019" + "21A", "14 digits"),
        ("", "empty"),
        ("]d2", "empty"),
        ("(1)08901234500019(21)A", "AI in brackets"),
        ("01)08901234500019", "unexpected data"),
        ("(01", "AI in brackets"),
    ],
)
def test_malformed_ids_say_what_is_wrong(text: str, says: str) -> None:
    assert says in malformed(text).message


def test_a_paren_in_a_serial_is_escaped_in_the_bracketed_form() -> None:
    glass = Gs1Id("08901234500019", "A(1)")
    assert glass.element_string == "(01)08901234500019(21)A\\(1)"
    assert parse_gs1_id(glass.element_string) == glass
    assert parse_gs1_id(glass.barcode_data) == glass


@given(gtin=gtins(), serial=serials)
def test_every_form_round_trips(gtin: str, serial: str) -> None:
    glass = Gs1Id(gtin, serial)
    assert glass.gtin == gtin.zfill(14)
    assert parse_gs1_id(glass.element_string) == glass
    assert parse_gs1_id(glass.barcode_data) == glass
    assert parse_gs1_id("]d2" + glass.barcode_data) == glass
    assert parse_gs1_id(f"21{serial}{GS}01{glass.gtin}") == glass


@given(
    gtin=gtins(),
    position=st.integers(0, 13),
    shift=st.integers(1, 9),
)
def test_changing_any_one_digit_breaks_the_check_digit(
    gtin: str, position: int, shift: int
) -> None:
    assert is_valid_gtin(gtin)
    position %= len(gtin)
    changed = gtin[:position] + str((int(gtin[position]) + shift) % 10) + gtin[position + 1 :]
    assert not is_valid_gtin(changed)


@pytest.mark.parametrize("code", ["", "8901234500019 ", "890123450001", "٨901234500019", "x" * 13])
def test_invalid_gtins(code: str) -> None:
    assert not is_valid_gtin(code)
    with pytest.raises(DomainError):
        to_gtin14(code)


@pytest.mark.parametrize("body", ["", "1" * 18, "12a"])
def test_check_digit_needs_1_to_17_digits(body: str) -> None:
    with pytest.raises(DomainError):
        gtin_check_digit(body)


def test_known_check_digits() -> None:
    # Examples from the GS1 General Specifications' check digit calculation.
    assert gtin_check_digit("629104150021") == 3
    assert gtin_check_digit("10614141123456789") == 7
    assert gtin_check_digit("890123450001") == 9


def test_sscc_is_made_formatted_and_parsed() -> None:
    sscc = make_sscc(1, "0614141", 123456789)
    assert sscc == "106141411234567897"
    assert is_valid_sscc(sscc)
    assert format_sscc(sscc) == "(00)106141411234567897"
    for text in (format_sscc(sscc), "00" + sscc, "]C100" + sscc, sscc, f" {sscc}\n"):
        assert parse_sscc(text) == sscc


@pytest.mark.parametrize(
    "text", ["(00)106141411234567890", "106141411234567890", "(01)08901234500019", "(00)1"]
)
def test_bad_ssccs_are_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_sscc(text)
    assert caught.value.code == "gs1.malformed"


@pytest.mark.parametrize(
    ("extension", "prefix", "reference"),
    [(10, "0614141", 1), (1, "061", 1), (1, "0614141", 10**9), (1, "06141A1", 1)],
)
def test_sscc_parts_are_checked(extension: int, prefix: str, reference: int) -> None:
    with pytest.raises(DomainError):
        make_sscc(extension, prefix, reference)


@given(
    extension=st.integers(0, 9),
    prefix=st.from_regex(r"[0-9]{4,12}", fullmatch=True),
    data=st.data(),
)
def test_made_ssccs_are_valid_and_round_trip(
    extension: int, prefix: str, data: st.DataObject
) -> None:
    reference = data.draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    sscc = make_sscc(extension, prefix, reference)
    assert len(sscc) == 18
    assert is_valid_sscc(sscc)
    assert parse_sscc(format_sscc(sscc)) == sscc


@given(
    digits=st.from_regex(r"[0-9]{14}", fullmatch=True),
    serial=st.from_regex(r"[0-9A-Za-z]{1,20}", fullmatch=True),
)
def test_the_plain_form_agrees_with_the_checked_constructor(digits: str, serial: str) -> None:
    """The fast path for "(01)<14 digits>(21)<letters and digits>" accepts what Gs1Id accepts."""
    text = f"(01){digits}(21){serial}"
    if is_valid_gtin(digits):
        assert parse_gs1_id(text) == Gs1Id(digits, serial)
        assert parse_gs1_id(text).element_string == text
    else:
        assert "check digit" in malformed(text).message
