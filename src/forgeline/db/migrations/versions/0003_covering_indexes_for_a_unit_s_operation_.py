"""covering indexes for a unit's operation records and measurements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:48:57.915005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_unit"))
        batch_op.create_index(
            "ix_measurement_unit",
            [
                "unit_id",
                "measured_at",
                "id",
                "record_id",
                "operation_code",
                "station_code",
                "characteristic_code",
                "value",
                "lsl",
                "usl",
                "in_spec",
                "batch_run_id",
            ],
            unique=False,
        )

    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_record_unit"))
        batch_op.create_index(
            "ix_operation_record_unit",
            [
                "unit_id",
                "track_in_at",
                "id",
                "operation_code",
                "station_code",
                "operator",
                "carrier_id",
                "batch_run_id",
                "track_out_at",
                "result",
                "rework_to",
                "visit",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_record_unit")
        batch_op.create_index(
            batch_op.f("ix_operation_record_unit"), ["unit_id", "track_in_at"], unique=False
        )

    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index("ix_measurement_unit")
        batch_op.create_index(batch_op.f("ix_measurement_unit"), ["unit_id"], unique=False)
