"""day tallies and each scrap's primary defect

The track-outs of each site day (`production.tallies.DayTally`), counted from the half-hour
tallies already there, and each scrap record's primary defect and origin
(`production.scrap`), worked out from the defects already there and covered by the partial
index of scraps: both kept by ingest from now on.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:10:45.039502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "track_out_day_tally",
        sa.Column("day", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("routing_code", sa.String(length=64), nullable=False),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("first_passed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "routing_code",
            "operation_code",
            "station_code",
            name=op.f("pk_track_out_day_tally"),
        ),
    )
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scrap_defect", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("scrap_origin", sa.String(length=64), nullable=True))
        batch_op.drop_index(
            batch_op.f("ix_operation_record_scrap"), sqlite_where=sa.text("result = 'scrap'")
        )
        batch_op.create_index(
            "ix_operation_record_scrap",
            [
                "result",
                "track_out_at",
                "unit_id",
                "operation_code",
                "station_code",
                "scrap_defect",
                "scrap_origin",
            ],
            unique=False,
            sqlite_where=sa.text("result = 'scrap'"),
            postgresql_where=sa.text("result = 'scrap'"),
        )
    # Work out what is there already, with the code that keeps it.
    from sqlalchemy.orm import Session

    from forgeline.production import scrap, tallies

    bind = op.get_bind()
    session = Session(bind=bind)
    if bind.execute(sa.text("SELECT 1 FROM track_out_tally LIMIT 1")).first():
        tallies.rebuild_days(session)
    if bind.execute(
        sa.text("SELECT 1 FROM operation_record WHERE result = 'scrap' LIMIT 1")
    ).first():
        scrap.attribute(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("operation_record", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_operation_record_scrap",
            sqlite_where=sa.text("result = 'scrap'"),
            postgresql_where=sa.text("result = 'scrap'"),
        )
        batch_op.create_index(
            batch_op.f("ix_operation_record_scrap"),
            ["result", "track_out_at", "unit_id", "operation_code", "station_code"],
            unique=False,
            sqlite_where=sa.text("result = 'scrap'"),
            postgresql_where=sa.text("result = 'scrap'"),
        )
        batch_op.drop_column("scrap_origin")
        batch_op.drop_column("scrap_defect")

    op.drop_table("track_out_day_tally")
