"""quality: live SPC charts, limits, points, alarms; NCRs, 8D reports, sampling results, certificates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:26:01.504625
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eight_d",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=False),
        sa.Column("complaint_ref", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("d1_team", sa.Text(), nullable=False),
        sa.Column("d2_problem", sa.Text(), nullable=False),
        sa.Column("d3_containment", sa.Text(), nullable=False),
        sa.Column("d4_root_cause", sa.Text(), nullable=False),
        sa.Column("d5_corrective_action", sa.Text(), nullable=False),
        sa.Column("d6_implementation", sa.Text(), nullable=False),
        sa.Column("d7_prevention", sa.Text(), nullable=False),
        sa.Column("d8_closure", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eight_d")),
        sa.UniqueConstraint("code", name=op.f("uq_eight_d_code")),
    )
    with op.batch_alter_table("eight_d", schema=None) as batch_op:
        batch_op.create_index("ix_eight_d_customer", ["customer_code", "opened_at"], unique=False)

    op.create_table(
        "sampling_result",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_code", sa.String(length=80), nullable=False),
        sa.Column("test", sa.String(length=64), nullable=False),
        sa.Column("characteristic_code", sa.String(length=64), nullable=True),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("inspection_level", sa.String(length=4), nullable=False),
        sa.Column("aql", sa.String(length=8), nullable=False),
        sa.Column("code_letter", sa.String(length=1), nullable=False),
        sa.Column("plan_letter", sa.String(length=1), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("accept_number", sa.Integer(), nullable=False),
        sa.Column("reject_number", sa.Integer(), nullable=False),
        sa.Column("nonconforming", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampling_result")),
    )
    with op.batch_alter_table("sampling_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sampling_result_subject", ["subject_type", "subject_code"], unique=False
        )

    op.create_table(
        "spc_chart",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("characteristic_code", sa.String(length=64), nullable=False),
        sa.Column("context_key", sa.String(length=400), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("chart_type", sa.String(length=16), nullable=False),
        sa.Column("subgroup_size", sa.Integer(), nullable=False),
        sa.Column("hold_on_violation", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("limits_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("complete_points", sa.Integer(), nullable=False),
        sa.Column("last_good_seq", sa.Integer(), nullable=True),
        sa.Column("last_point_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_chart")),
        sa.UniqueConstraint(
            "characteristic_code",
            "context_key",
            name=op.f("uq_spc_chart_characteristic_code_context_key"),
        ),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=64), nullable=False),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_order.id"],
            name=op.f("fk_certificate_work_order_id_work_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_certificate_code")),
        sa.UniqueConstraint("sha256", name=op.f("uq_certificate_sha256")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_work_order_id"), ["work_order_id"], unique=False
        )

    op.create_table(
        "spc_alarm",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("characteristic_code", sa.String(length=64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("seqs", sa.JSON(), nullable=False),
        sa.Column("last_good_seq", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hold_ids", sa.JSON(), nullable=False),
        sa.Column("held_units", sa.Integer(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chart_id"], ["spc_chart.id"], name=op.f("fk_spc_alarm_chart_id_spc_chart")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_alarm")),
    )
    with op.batch_alter_table("spc_alarm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spc_alarm_chart_id"), ["chart_id"], unique=False)
        batch_op.create_index("ix_spc_alarm_status", ["status", "raised_at"], unique=False)

    op.create_table(
        "spc_limits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("center", sa.Float(), nullable=False),
        sa.Column("lcl", sa.Float(), nullable=False),
        sa.Column("ucl", sa.Float(), nullable=False),
        sa.Column("spread_center", sa.Float(), nullable=False),
        sa.Column("spread_lcl", sa.Float(), nullable=False),
        sa.Column("spread_ucl", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("frozen", sa.JSON(), nullable=False),
        sa.Column("from_seq", sa.Integer(), nullable=False),
        sa.Column("to_seq", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chart_id"], ["spc_chart.id"], name=op.f("fk_spc_limits_chart_id_spc_chart")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_limits")),
        sa.UniqueConstraint("chart_id", "version", name=op.f("uq_spc_limits_chart_id_version")),
    )
    op.create_table(
        "spc_point",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("operation_code", sa.String(length=64), nullable=False),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("spread", sa.Float(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("first_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chart_id"], ["spc_chart.id"], name=op.f("fk_spc_point_chart_id_spc_chart")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_point")),
        sa.UniqueConstraint("chart_id", "seq", name=op.f("uq_spc_point_chart_id_seq")),
    )
    op.create_table(
        "certificate_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "certificate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_unit_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_certificate_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_unit")),
        sa.UniqueConstraint(
            "certificate_id", "unit_id", name=op.f("uq_certificate_unit_certificate_id_unit_id")
        ),
    )
    with op.batch_alter_table("certificate_unit", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_unit_unit", ["unit_id"], unique=False)

    op.create_table(
        "eight_d_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "eight_d_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["eight_d_id"], ["eight_d.id"], name=op.f("fk_eight_d_unit_eight_d_id_eight_d")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_eight_d_unit_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eight_d_unit")),
        sa.UniqueConstraint(
            "eight_d_id", "unit_id", name=op.f("uq_eight_d_unit_eight_d_id_unit_id")
        ),
    )
    with op.batch_alter_table("eight_d_unit", schema=None) as batch_op:
        batch_op.create_index("ix_eight_d_unit_unit", ["unit_id"], unique=False)

    op.create_table(
        "ncr",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("alarm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "measurement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.String(length=24), nullable=True),
        sa.Column("disposition_note", sa.Text(), nullable=True),
        sa.Column("production_effect", sa.JSON(), nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispositioned_by", sa.String(length=200), nullable=True),
        sa.Column("dispositioned_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closure_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["spc_alarm.id"], name=op.f("fk_ncr_alarm_id_spc_alarm")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["material_lot.id"], name=op.f("fk_ncr_lot_id_material_lot")
        ),
        sa.ForeignKeyConstraint(
            ["measurement_id"], ["measurement.id"], name=op.f("fk_ncr_measurement_id_measurement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ncr")),
        sa.UniqueConstraint("code", name=op.f("uq_ncr_code")),
    )
    with op.batch_alter_table("ncr", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ncr_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index("ix_ncr_status_opened", ["status", "opened_at"], unique=False)

    op.create_table(
        "eight_d_ncr",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "eight_d_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ncr_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["eight_d_id"], ["eight_d.id"], name=op.f("fk_eight_d_ncr_eight_d_id_eight_d")
        ),
        sa.ForeignKeyConstraint(["ncr_id"], ["ncr.id"], name=op.f("fk_eight_d_ncr_ncr_id_ncr")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eight_d_ncr")),
        sa.UniqueConstraint("eight_d_id", "ncr_id", name=op.f("uq_eight_d_ncr_eight_d_id_ncr_id")),
    )
    with op.batch_alter_table("eight_d_ncr", schema=None) as batch_op:
        batch_op.create_index("ix_eight_d_ncr_ncr", ["ncr_id"], unique=False)

    op.create_table(
        "ncr_unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ncr_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_ncr_unit_hold_id_hold")),
        sa.ForeignKeyConstraint(["ncr_id"], ["ncr.id"], name=op.f("fk_ncr_unit_ncr_id_ncr")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_ncr_unit_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ncr_unit")),
        sa.UniqueConstraint("ncr_id", "unit_id", name=op.f("uq_ncr_unit_ncr_id_unit_id")),
    )
    with op.batch_alter_table("ncr_unit", schema=None) as batch_op:
        batch_op.create_index("ix_ncr_unit_unit", ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ncr_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_ncr_unit_unit")

    op.drop_table("ncr_unit")
    with op.batch_alter_table("eight_d_ncr", schema=None) as batch_op:
        batch_op.drop_index("ix_eight_d_ncr_ncr")

    op.drop_table("eight_d_ncr")
    with op.batch_alter_table("ncr", schema=None) as batch_op:
        batch_op.drop_index("ix_ncr_status_opened")
        batch_op.drop_index(batch_op.f("ix_ncr_lot_id"))

    op.drop_table("ncr")
    with op.batch_alter_table("eight_d_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_eight_d_unit_unit")

    op.drop_table("eight_d_unit")
    with op.batch_alter_table("certificate_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_unit_unit")

    op.drop_table("certificate_unit")
    op.drop_table("spc_point")
    op.drop_table("spc_limits")
    with op.batch_alter_table("spc_alarm", schema=None) as batch_op:
        batch_op.drop_index("ix_spc_alarm_status")
        batch_op.drop_index(batch_op.f("ix_spc_alarm_chart_id"))

    op.drop_table("spc_alarm")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_work_order_id"))

    op.drop_table("certificate")
    op.drop_table("spc_chart")
    with op.batch_alter_table("sampling_result", schema=None) as batch_op:
        batch_op.drop_index("ix_sampling_result_subject")

    op.drop_table("sampling_result")
    with op.batch_alter_table("eight_d", schema=None) as batch_op:
        batch_op.drop_index("ix_eight_d_customer")

    op.drop_table("eight_d")
