"""inspection: AOI results and their defects

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:56:45.103103
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_result",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("inspected_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("track_out", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("model_digest", sa.String(length=64), nullable=True),
        sa.Column("image_digest", sa.String(length=64), nullable=True),
        sa.Column("image_width", sa.Integer(), nullable=True),
        sa.Column("image_height", sa.Integer(), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("outline_w_mm", sa.Float(), nullable=False),
        sa.Column("outline_h_mm", sa.Float(), nullable=False),
        sa.Column("timings_ms", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_inspection_result_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_result")),
    )
    with op.batch_alter_table("inspection_result", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_result_image", ["image_digest"], unique=False)
        batch_op.create_index(
            "ix_inspection_result_station_time", ["station_code", "inspected_at"], unique=False
        )
        batch_op.create_index("ix_inspection_result_time", ["inspected_at"], unique=False)
        batch_op.create_index("ix_inspection_result_unit", ["unit_id"], unique=False)

    op.create_table(
        "inspection_defect",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "result_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("defect_class", sa.String(length=16), nullable=False),
        sa.Column("defect_code", sa.String(length=64), nullable=False),
        sa.Column("zone", sa.String(length=4), nullable=True),
        sa.Column("bbox", sa.JSON(), nullable=True),
        sa.Column("area_px", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("length_mm", sa.Float(), nullable=False),
        sa.Column("width_mm", sa.Float(), nullable=False),
        sa.Column("diameter_mm", sa.Float(), nullable=False),
        sa.Column("x_mm", sa.Float(), nullable=False),
        sa.Column("y_mm", sa.Float(), nullable=False),
        sa.Column("violates", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["inspection_result.id"],
            name=op.f("fk_inspection_defect_result_id_inspection_result"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_defect")),
    )
    with op.batch_alter_table("inspection_defect", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_defect_result", ["result_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inspection_defect", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_defect_result")

    op.drop_table("inspection_defect")
    with op.batch_alter_table("inspection_result", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_result_unit")
        batch_op.drop_index("ix_inspection_result_time")
        batch_op.drop_index("ix_inspection_result_station_time")
        batch_op.drop_index("ix_inspection_result_image")

    op.drop_table("inspection_result")
