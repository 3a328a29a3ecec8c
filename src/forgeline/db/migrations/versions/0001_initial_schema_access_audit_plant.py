"""initial schema: access, audit, plant

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:33:58.978512
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "tree_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
        sa.UniqueConstraint("tree_size", name=op.f("uq_audit_checkpoint_tree_size")),
    )
    op.create_table(
        "audit_entry",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_entry_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "auth_station_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("last_used_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_station_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_station_token_token_hash")),
    )
    with op.batch_alter_table("auth_station_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_station_token_station_code"), ["station_code"], unique=False
        )

    op.create_table(
        "auth_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("badge", sa.String(length=64), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user")),
        sa.UniqueConstraint("badge", name=op.f("uq_auth_user_badge")),
        sa.UniqueConstraint("username", name=op.f("uq_auth_user_username")),
    )
    op.create_table(
        "plant_revision",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition_version", sa.String(length=60), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("definition_json", sa.JSON(), nullable=False),
        sa.Column("loaded_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_plant_revision")),
    )
    with op.batch_alter_table("plant_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plant_revision_content_sha256"), ["content_sha256"], unique=False
        )

    op.create_table(
        "auth_operator_skill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("granted_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_operator_skill_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_operator_skill")),
        sa.UniqueConstraint("user_id", "skill", name=op.f("uq_auth_operator_skill_user_id_skill")),
    )
    op.create_table(
        "auth_web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_user.id"],
            name=op.f("fk_auth_web_session_user_id_auth_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_web_session_token_hash")),
    )
    op.create_table(
        "plant_characteristic",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("lsl", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("usl", sa.Float(), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("hold_on_violation", sa.Boolean(), nullable=False),
        sa.Column("sampling", sa.JSON(), nullable=False),
        sa.Column("spc", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_characteristic_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_characteristic")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_characteristic_revision_code")),
    )
    with op.batch_alter_table("plant_characteristic", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plant_characteristic_revision"), ["revision"], unique=False
        )

    op.create_table(
        "plant_defect_code",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("cleanable", sa.Boolean(), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("zone_limits", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_defect_code_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_defect_code")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_defect_code_revision_code")),
    )
    with op.batch_alter_table("plant_defect_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plant_defect_code_revision"), ["revision"], unique=False
        )

    op.create_table(
        "plant_line",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=40), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_line_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_line")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_line_revision_code")),
    )
    with op.batch_alter_table("plant_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plant_line_revision"), ["revision"], unique=False)

    op.create_table(
        "plant_product",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("customer_code", sa.String(length=40), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("routing_code", sa.String(length=40), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_product_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_product")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_product_revision_code")),
    )
    with op.batch_alter_table("plant_product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plant_product_gtin"), ["gtin"], unique=False)
        batch_op.create_index(batch_op.f("ix_plant_product_revision"), ["revision"], unique=False)

    op.create_table(
        "plant_routing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product_kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_routing_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_routing")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_routing_revision_code")),
    )
    with op.batch_alter_table("plant_routing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plant_routing_revision"), ["revision"], unique=False)

    op.create_table(
        "plant_station",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line_code", sa.String(length=40), nullable=False),
        sa.Column("station_type", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("ideal_cycle_s", sa.Float(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_station_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_station")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_station_revision_code")),
    )
    with op.batch_alter_table("plant_station", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plant_station_revision"), ["revision"], unique=False)

    op.create_table(
        "plant_station_type",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_station_type_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_station_type")),
        sa.UniqueConstraint("revision", "code", name=op.f("uq_plant_station_type_revision_code")),
    )
    with op.batch_alter_table("plant_station_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plant_station_type_revision"), ["revision"], unique=False
        )

    op.create_table(
        "plant_tac",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("tac", sa.String(length=8), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("dual_sim", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision"],
            ["plant_revision.number"],
            name=op.f("fk_plant_tac_revision_plant_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_tac")),
        sa.UniqueConstraint("revision", "tac", name=op.f("uq_plant_tac_revision_tac")),
    )
    with op.batch_alter_table("plant_tac", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plant_tac_revision"), ["revision"], unique=False)

    op.create_table(
        "plant_operation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("routing_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_type", sa.String(length=40), nullable=False),
        sa.Column("rework_only", sa.Boolean(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("stations", sa.JSON(), nullable=False),
        sa.Column("rework", sa.JSON(), nullable=False),
        sa.Column("ideal_cycle_s", sa.Float(), nullable=True),
        sa.Column("expected_yield", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["routing_id"],
            ["plant_routing.id"],
            name=op.f("fk_plant_operation_routing_id_plant_routing"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_operation")),
        sa.UniqueConstraint("routing_id", "code", name=op.f("uq_plant_operation_routing_id_code")),
    )
    with op.batch_alter_table("plant_operation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plant_operation_routing_id"), ["routing_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plant_operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_operation_routing_id"))

    op.drop_table("plant_operation")
    with op.batch_alter_table("plant_tac", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_tac_revision"))

    op.drop_table("plant_tac")
    with op.batch_alter_table("plant_station_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_station_type_revision"))

    op.drop_table("plant_station_type")
    with op.batch_alter_table("plant_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_station_revision"))

    op.drop_table("plant_station")
    with op.batch_alter_table("plant_routing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_routing_revision"))

    op.drop_table("plant_routing")
    with op.batch_alter_table("plant_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_product_revision"))
        batch_op.drop_index(batch_op.f("ix_plant_product_gtin"))

    op.drop_table("plant_product")
    with op.batch_alter_table("plant_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_line_revision"))

    op.drop_table("plant_line")
    with op.batch_alter_table("plant_defect_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_defect_code_revision"))

    op.drop_table("plant_defect_code")
    with op.batch_alter_table("plant_characteristic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_characteristic_revision"))

    op.drop_table("plant_characteristic")
    op.drop_table("auth_web_session")
    op.drop_table("auth_operator_skill")
    with op.batch_alter_table("plant_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plant_revision_content_sha256"))

    op.drop_table("plant_revision")
    op.drop_table("auth_user")
    with op.batch_alter_table("auth_station_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_station_token_station_code"))

    op.drop_table("auth_station_token")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_object")
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_action"))

    op.drop_table("audit_entry")
    op.drop_table("audit_checkpoint")
