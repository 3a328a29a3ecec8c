"""production: units, lots, carriers, batches, operations, holds, events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:59:59.307363
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bath",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=60), nullable=False),
        sa.Column("started_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("na_wt_pct", sa.Float(), nullable=True),
        sa.Column("ca_ppm", sa.Float(), nullable=True),
        sa.Column("mg_ppm", sa.Float(), nullable=True),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bath")),
        sa.UniqueConstraint("code", name=op.f("uq_bath_code")),
    )
    with op.batch_alter_table("bath", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bath_station_code"), ["station_code"], unique=False)

    op.create_table(
        "carrier",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier")),
        sa.UniqueConstraint("code", name=op.f("uq_carrier_code")),
    )
    op.create_table(
        "equipment_state",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("started_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_state")),
    )
    with op.batch_alter_table("equipment_state", schema=None) as batch_op:
        batch_op.create_index(
            "ix_equipment_state_station_time", ["station_code", "started_at"], unique=False
        )

    op.create_table(
        "hold",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_code", sa.String(length=80), nullable=False),
        sa.Column("window_start", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_end", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("released_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index("ix_hold_target", ["target_type", "target_code"], unique=False)

    op.create_table(
        "ingested_event",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("body_hash", sa.LargeBinary(length=16), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("received_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_ingested_event")),
    )
    op.create_table(
        "material_lot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("supplier_lot", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.Column("received_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_lot")),
        sa.UniqueConstraint("code", name=op.f("uq_material_lot_code")),
    )
    op.create_table(
        "work_order",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line_code", sa.String(length=64), nullable=True),
        sa.Column("plant_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order")),
        sa.UniqueConstraint("code", name=op.f("uq_work_order_code")),
    )
    op.create_table(
        "batch_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("bath_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("carriers", sa.JSON(), nullable=False),
        sa.Column("started_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bath_id"], ["bath.id"], name=op.f("fk_batch_run_bath_id_bath")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_run")),
        sa.UniqueConstraint("code", name=op.f("uq_batch_run_code")),
    )
    with op.batch_alter_table("batch_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_run_bath_id"), ["bath_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_batch_run_station_code"), ["station_code"], unique=False
        )

    op.create_table(
        "bath_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bath_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bath_id"], ["bath.id"], name=op.f("fk_bath_event_bath_id_bath")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bath_event")),
    )
    with op.batch_alter_table("bath_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bath_event_bath_id"), ["bath_id"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("routing_code", sa.String(length=64), nullable=False),
        sa.Column("plant_revision", sa.Integer(), nullable=False),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "assembled_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("next_operation", sa.String(length=64), nullable=True),
        sa.Column("rework_target", sa.String(length=64), nullable=True),
        sa.Column("rework_counts", sa.JSON(), nullable=False),
        sa.Column("current_station", sa.String(length=64), nullable=True),
        sa.Column(
            "current_record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("current_operation", sa.String(length=64), nullable=True),
        sa.Column(
            "current_batch_run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "carrier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assembled_into_id"], ["unit.id"], name=op.f("fk_unit_assembled_into_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["carrier_id"], ["carrier.id"], name=op.f("fk_unit_carrier_id_carrier")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["material_lot.id"], name=op.f("fk_unit_lot_id_material_lot")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit")),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["work_order.id"], name=op.f("fk_unit_work_order_id_work_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("uid", name=op.f("uq_unit_uid")),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index("ix_unit_assembled_into", ["assembled_into_id"], unique=False)
        batch_op.create_index("ix_unit_carrier", ["carrier_id"], unique=False)
        batch_op.create_index("ix_unit_lot", ["lot_id"], unique=False)
        batch_op.create_index("ix_unit_parent", ["parent_id"], unique=False)
        batch_op.create_index(
            "ix_unit_status_operation", ["status", "next_operation"], unique=False
        )
        batch_op.create_index("ix_unit_work_order", ["work_order_id"], unique=False)

    op.create_table(
        "hold_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_hold_unit_hold_id_hold")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_hold_unit_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_unit")),
        sa.UniqueConstraint("hold_id", "unit_id", name=op.f("uq_hold_unit_hold_id_unit_id")),
    )
    with op.batch_alter_table("hold_unit", schema=None) as batch_op:
        batch_op.create_index("ix_hold_unit_unit", ["unit_id"], unique=False)

    op.create_table(
        "operation_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column(
            "carrier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "batch_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("track_in_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("track_out_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=8), nullable=True),
        sa.Column("rework_to", sa.String(length=64), nullable=True),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_run_id"],
            ["batch_run.id"],
            name=op.f("fk_operation_record_batch_run_id_batch_run"),
        ),
        sa.ForeignKeyConstraint(
            ["carrier_id"], ["carrier.id"], name=op.f("fk_operation_record_carrier_id_carrier")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_operation_record_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_record")),
    )
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.create_index("ix_operation_record_batch", ["batch_run_id"], unique=False)
        batch_op.create_index(
            "ix_operation_record_carrier", ["carrier_id", "track_in_at"], unique=False
        )
        batch_op.create_index(
            "ix_operation_record_operator", ["operator", "track_in_at"], unique=False
        )
        batch_op.create_index(
            "ix_operation_record_station_time", ["station_code", "track_in_at"], unique=False
        )
        batch_op.create_index("ix_operation_record_track_out", ["track_out_at"], unique=False)
        batch_op.create_index("ix_operation_record_unit", ["unit_id", "track_in_at"], unique=False)

    op.create_table(
        "defect",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("defect_code", sa.String(length=64), nullable=False),
        sa.Column("zone", sa.String(length=4), nullable=True),
        sa.Column("x_mm", sa.Float(), nullable=True),
        sa.Column("y_mm", sa.Float(), nullable=True),
        sa.Column("size_mm", sa.Float(), nullable=True),
        sa.Column("origin_operation", sa.String(length=64), nullable=True),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("found_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["operation_record.id"],
            name=op.f("fk_defect_record_id_operation_record"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_defect_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defect")),
    )
    with op.batch_alter_table("defect", schema=None) as batch_op:
        batch_op.create_index("ix_defect_code_time", ["defect_code", "found_at"], unique=False)
        batch_op.create_index("ix_defect_unit", ["unit_id"], unique=False)

    op.create_table(
        "lot_use",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["material_lot.id"], name=op.f("fk_lot_use_lot_id_material_lot")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["operation_record.id"],
            name=op.f("fk_lot_use_record_id_operation_record"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_lot_use_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_use")),
    )
    with op.batch_alter_table("lot_use", schema=None) as batch_op:
        batch_op.create_index("ix_lot_use_lot", ["lot_id"], unique=False)
        batch_op.create_index("ix_lot_use_unit", ["unit_id"], unique=False)

    op.create_table(
        "measurement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("characteristic_code", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("lsl", sa.Float(), nullable=True),
        sa.Column("usl", sa.Float(), nullable=True),
        sa.Column("in_spec", sa.Boolean(), nullable=False),
        sa.Column(
            "batch_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("measured_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_run_id"], ["batch_run.id"], name=op.f("fk_measurement_batch_run_id_batch_run")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["operation_record.id"],
            name=op.f("fk_measurement_record_id_operation_record"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_measurement_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
    )
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measurement_characteristic_time",
            ["characteristic_code", "measured_at"],
            unique=False,
        )
        batch_op.create_index("ix_measurement_unit", ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_unit")
        batch_op.drop_index("ix_measurement_characteristic_time")

    op.drop_table("measurement")
    with op.batch_alter_table("lot_use", schema=None) as batch_op:
        batch_op.drop_index("ix_lot_use_unit")
        batch_op.drop_index("ix_lot_use_lot")

    op.drop_table("lot_use")
    with op.batch_alter_table("defect", schema=None) as batch_op:
        batch_op.drop_index("ix_defect_unit")
        batch_op.drop_index("ix_defect_code_time")

    op.drop_table("defect")
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_record_unit")
        batch_op.drop_index("ix_operation_record_track_out")
        batch_op.drop_index("ix_operation_record_station_time")
        batch_op.drop_index("ix_operation_record_operator")
        batch_op.drop_index("ix_operation_record_carrier")
        batch_op.drop_index("ix_operation_record_batch")

    op.drop_table("operation_record")
    with op.batch_alter_table("hold_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_hold_unit_unit")

    op.drop_table("hold_unit")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_work_order")
        batch_op.drop_index("ix_unit_status_operation")
        batch_op.drop_index("ix_unit_parent")
        batch_op.drop_index("ix_unit_lot")
        batch_op.drop_index("ix_unit_carrier")
        batch_op.drop_index("ix_unit_assembled_into")

    op.drop_table("unit")
    with op.batch_alter_table("bath_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bath_event_bath_id"))

    op.drop_table("bath_event")
    with op.batch_alter_table("batch_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_run_station_code"))
        batch_op.drop_index(batch_op.f("ix_batch_run_bath_id"))

    op.drop_table("batch_run")
    op.drop_table("work_order")
    op.drop_table("material_lot")
    op.drop_table("ingested_event")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index("ix_hold_target")

    op.drop_table("hold")
    with op.batch_alter_table("equipment_state", schema=None) as batch_op:
        batch_op.drop_index("ix_equipment_state_station_time")

    op.drop_table("equipment_state")
    op.drop_table("carrier")
    with op.batch_alter_table("bath", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bath_station_code"))

    op.drop_table("bath")
