"""The default plant parses with the reference figures, and mistakes are named by file, line and
field."""

from __future__ import annotations

import pytest

from forgeline.errors import DomainError, ErrorKind
from forgeline.plant.definition import PlantDefinition
from forgeline.plant.definition.types import gs1_check_digit
from tests.plant.conftest import edit, rejection


def test_default_plant_has_the_reference_equipment(default_plant: PlantDefinition) -> None:
    specs = default_plant.station_specs()
    by_type: dict[str, list[int]] = {}
    for spec in specs:
        by_type.setdefault(spec.station_type, []).append(spec.capacity)
    assert sum(by_type["cnc"]) == 300  # ~300 CNC spindles at nameplate
    assert len(by_type["ion_exchange"]) == 11  # ~11 IOX furnace tanks
    iox = default_plant.station_spec("IOX-01")
    assert (iox.mode, iox.batch_size, iox.ideal_cycle_s) == ("batch", 3000, 8 * 3600)
    assert [s.code for s in default_plant.site.shifts] == ["A", "B", "C"]
    assert all(s.hours == 8 for s in default_plant.site.shifts)


def test_default_plant_follows_the_twelve_steps(default_plant: PlantDefinition) -> None:
    ops = [op.code for op in default_plant.routing("CG-STD").operations]
    assert ops == [
        "IQC", "CUT", "CNC", "POLISH", "CLN1", "IOX", "CLN2", "PRINT", "CLN3", "COAT", "FILM",
        "AOI", "FQC", "PACK",
    ]  # fmt: skip
    lithium = default_plant.routing("CG-LI").operations
    riox = next(op for op in lithium if op.code == "RIOX")
    assert riox.rework_only
    iox = next(op for op in lithium if op.code == "IOX")
    assert iox.rework[0].to == "RIOX" and iox.rework[0].max_count == 1
    handset_ops = [op.code for op in default_plant.routing("HS-SEC").operations]
    assert handset_ops[:3] == ["PCBA-IN", "DISP-ASM", "FLASH"] and handset_ops[-1] == "HS-PACK"


def test_default_plant_quality_master_data(default_plant: PlantDefinition) -> None:
    cs = default_plant.characteristic("CS")
    assert (cs.lsl, cs.usl, cs.unit, cs.critical) == (600, 1200, "MPa", True)
    assert cs.spc is not None and cs.spc.hold_on_violation
    assert "ion_exchange" in cs.spc.contexts and "bath" in cs.spc.contexts
    dol = default_plant.characteristic("DOL")
    assert (dol.lsl, dol.usl) == (20, 100)
    assert default_plant.characteristic("WCA").lsl == 110
    override = default_plant.limits_for("CS", "CG-AUR-A55")
    assert (override.lsl, override.usl) == (700, 950)
    assert default_plant.limits_for("CS", "CG-KES-N1").lsl == 600
    scratch = default_plant.defect_code("SCR")
    assert scratch.zone_limits["A"].max_length_mm == 2.0
    assert default_plant.defect_code("DST").cleanable


def test_default_plant_products(default_plant: PlantDefinition) -> None:
    assert len({g.customer for g in default_plant.products.cover_glass}) >= 2
    for product in default_plant.all_products():
        assert int(product.gtin[-1]) == gs1_check_digit(product.gtin[:-1])
    handset = default_plant.handset_for_tac("35829105")
    assert handset.code == "SNT-S1P"
    assert set(handset.territories) == {"IN", "LK", "NP", "BD"}
    assert any(h.dual_sim for h in default_plant.products.handsets)


def test_unknown_lookup_is_not_found(default_plant: PlantDefinition) -> None:
    with pytest.raises(DomainError) as caught:
        default_plant.station_spec("NOPE-01")
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert caught.value.code == "plant.unknown_station"


def test_wrong_type_names_file_line_and_field(default_text: str) -> None:
    text, line = edit(default_text, "capacity: 25,", "capacity: many,")
    error = rejection(text)
    assert error.message.startswith(f"default.yaml:{line}: station_types[2].capacity: ")
    assert "integer" in error.message
    first = error.details["problems"][0]
    assert (first["line"], first["field"]) == (line, "station_types[2].capacity")


def test_out_of_range_value(default_text: str) -> None:
    text, line = edit(
        default_text,
        "{code: CNC-03, name: CNC cell 3, type: cnc}",
        "{code: CNC-03, name: CNC cell 3, type: cnc, capacity: 0}",
    )
    error = rejection(text)
    assert error.message == (
        f"default.yaml:{line}: areas[0].lines[0].stations[15].capacity: "
        "Input should be greater than 0"
    )


def test_unknown_field(default_text: str) -> None:
    text, line = edit(
        default_text, "  timezone: Asia/Kolkata\n", "  timezone: Asia/Kolkata\n  time_zone: IST\n"
    )
    error = rejection(text, "plants/site.yaml")
    assert error.message.startswith(f"plants/site.yaml:{line + 1}: site.time_zone: ")
    assert "Extra inputs are not permitted" in error.message


def test_dangling_station_type_reference(default_text: str) -> None:
    text, line = edit(
        default_text,
        "{code: IOX-04, name: IOX furnace 4, type: ion_exchange}",
        "{code: IOX-04, name: IOX furnace 4, type: ion_exchanger}",
    )
    error = rejection(text)
    assert error.message == (
        f"default.yaml:{line}: areas[1].lines[1].stations[3].type: "
        "unknown station type 'ion_exchanger'"
    )


def test_dangling_measurement_reference(default_text: str) -> None:
    text, line = edit(
        default_text,
        "measurements: [WCA, WCA-ABR, AR-R]",
        "measurements: [WCA, WCA-ABRASION, AR-R]",
    )
    error = rejection(text)
    assert f"default.yaml:{line}: routings[0].operations[9].measurements[1]: " in error.message
    assert "unknown characteristic 'WCA-ABRASION'" in error.message


def test_rework_target_must_be_an_earlier_operation(default_text: str) -> None:
    text, line = edit(
        default_text, "rework: [{to: POLISH, max_count: 2", "rework: [{to: PACK, max_count: 2"
    )
    error = rejection(text)
    assert f":{line}: routings[0].operations[3].rework[0].to: rework must loop back" in (
        error.message
    )
    text, _ = edit(default_text, "rework: [{to: CLN1,", "rework: [{to: HS-PACK,")
    assert "is not an operation of CG-STD" in rejection(text).message


def test_lsl_not_below_usl(default_text: str) -> None:
    text, line = edit(
        default_text, "lsl: 600, target: 850, usl: 1200", "lsl: 1200, target: 850, usl: 1200"
    )
    error = rejection(text)
    assert error.message.startswith(f"default.yaml:{line}: characteristics[")
    assert ".usl: usl (1200) must be greater than lsl (1200)" in error.message


def test_target_outside_limits(default_text: str) -> None:
    text, line = edit(
        default_text, "lsl: 20, target: 45, usl: 100", "lsl: 20, target: 145, usl: 100"
    )
    message = rejection(text).message
    assert message.startswith(f"default.yaml:{line}: characteristics[")
    assert message.endswith(".target: target (145) is above usl (100)")


def test_yaml_syntax_error_has_a_line(default_text: str) -> None:
    text, line = edit(
        default_text,
        "  - {code: AURORA, name: Aurora Mobile}",
        "  - {code: AURORA, name: Aurora Mobile",
    )
    error = rejection(text)
    assert error.message.startswith("default.yaml:")
    assert "YAML syntax error" in error.message
    reported = int(error.message.split(":")[1])
    assert line <= reported <= line + 2
    assert f"(started at line {line})" in error.message


def test_duplicate_key_is_refused(default_text: str) -> None:
    text, line = edit(default_text, "  country: IN\n", "  country: IN\n  country: LK\n")
    error = rejection(text)
    assert error.message == f"default.yaml:{line + 1}: site.country: duplicate key"


def test_duplicate_codes_and_tacs(default_text: str) -> None:
    text, _ = edit(
        default_text, "{code: PRN-02, name: Print line 2", "{code: PRN-01, name: Print line 2"
    )
    assert "duplicate station 'PRN-01'" in rejection(text).message
    text, _ = edit(default_text, 'tacs: ["35829105", "35829106"]', 'tacs: ["35829104"]')
    assert "duplicate TAC '35829104'" in rejection(text).message


def test_tac_and_gtin_format(default_text: str) -> None:
    text, line = edit(default_text, 'tacs: ["35829104"]', 'tacs: ["3582910"]')
    error = rejection(text)
    assert f":{line}: products.handsets[0].tacs[0]: " in error.message
    assert "8 digits" in error.message
    text, _ = edit(default_text, '"8901234500019"', '"8901234500018"')
    assert "GTIN check digit should be 9" in rejection(text).message


def test_missing_field_points_at_its_mapping(default_text: str) -> None:
    text, line = edit(default_text, "{code: AURORA, name: Aurora Mobile}", "{code: AURORA}")
    error = rejection(text)
    assert error.message == f"default.yaml:{line}: customers[0].name: Field required"


def test_batch_equipment_needs_batch_size(default_text: str) -> None:
    text, line = edit(
        default_text, "ideal_cycle_s: 28800, batch_size: 3000,", "ideal_cycle_s: 28800,"
    )
    # A missing key has no line of its own: the message names the mapping that lacks it.
    assert rejection(text).message == (
        f"default.yaml:{line - 1}: station_types[5].batch_size: batch equipment needs a batch_size"
    )


def test_unquoted_clock_time_is_refused(default_text: str) -> None:
    # YAML 1.1 reads 14:00 as the sexagesimal integer 840.
    text, line = edit(default_text, 'start: "14:00"', "start: 14:00")
    error = rejection(text)
    assert f":{line}: site.shifts[1].start: Input should be a valid string" in error.message


def test_unsupported_format_version(default_text: str) -> None:
    text, line = edit(default_text, "format_version: 1", "format_version: 2")
    assert rejection(text).message.startswith(f"default.yaml:{line}: format_version: ")


def test_every_problem_is_listed(default_text: str) -> None:
    text, _ = edit(default_text, "type: ion_exchange}", "type: furnace}")
    text, _ = edit(
        text,
        "{code: CNC-02, name: CNC cell 2, type: cnc}",
        "{code: CNC-02, name: CNC cell 2, type: lathe}",
    )
    error = rejection(text)
    problems = error.details["problems"]
    assert len(problems) == 2
    assert [p["line"] for p in problems] == sorted(p["line"] for p in problems)
    assert "(and 1 more problem(s))" in error.message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just words"])
def test_document_must_be_a_mapping(text: str) -> None:
    error = rejection(text, "x.yaml")
    assert error.message.startswith("x.yaml:1: ")


def test_unsafe_tags_are_refused() -> None:
    error = rejection("format_version: !!python/object/apply:os.system ['true']\n", "x.yaml")
    assert error.message.startswith("x.yaml:1: YAML error")


def test_definition_is_immutable(default_plant: PlantDefinition) -> None:
    with pytest.raises(ValueError, match="frozen"):
        default_plant.site.shifts[0].hours = 12  # type: ignore[misc]


def test_parsed_definition_round_trips_through_json(default_plant: PlantDefinition) -> None:
    again = PlantDefinition.model_validate(default_plant.model_dump(mode="json"))
    assert again == default_plant
