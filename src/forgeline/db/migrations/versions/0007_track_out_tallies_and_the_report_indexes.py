"""track-out tallies and the report indexes

The tallies ingest keeps from now on (`production.tallies`), counted from the records already
there; the window index of track-outs made covering; a partial index of scraps for the Pareto.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 06:21:28.974304
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "output_tally",
        sa.Column("slot", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("work_order_id", sa.BigInteger(), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "slot", "work_order_id", "product_code", name=op.f("pk_output_tally")
        ),
    )
    op.create_table(
        "track_out_tally",
        sa.Column("slot", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("routing_code", sa.String(length=64), nullable=False),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("first_passed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "slot",
            "routing_code",
            "operation_code",
            "station_code",
            name=op.f("pk_track_out_tally"),
        ),
    )
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_record_track_out"))
        batch_op.create_index(
            "ix_operation_record_track_out",
            ["track_out_at", "result", "visit", "station_code", "operation_code", "unit_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_operation_record_scrap",
            ["result", "track_out_at", "unit_id", "operation_code", "station_code"],
            unique=False,
            sqlite_where=sa.text("result = 'scrap'"),
            postgresql_where=sa.text("result = 'scrap'"),
        )
    # Count the history already there, with the code that keeps the tallies (a database with no
    # track-outs, such as a new one, has nothing to count).
    bind = op.get_bind()
    if bind.execute(
        sa.text("SELECT 1 FROM operation_record WHERE result IS NOT NULL LIMIT 1")
    ).first():
        from sqlalchemy.orm import Session

        from forgeline.production import tallies

        session = Session(bind=bind)
        tallies.rebuild(session, days=False)
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_operation_record_scrap",
            sqlite_where=sa.text("result = 'scrap'"),
            postgresql_where=sa.text("result = 'scrap'"),
        )
        batch_op.drop_index("ix_operation_record_track_out")
        batch_op.create_index(
            batch_op.f("ix_operation_record_track_out"), ["track_out_at"], unique=False
        )

    op.drop_table("track_out_tally")
    op.drop_table("output_tally")
