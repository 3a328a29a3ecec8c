"""security: factory PKI, device identities, IMEI ledger, licence pools, signed releases, end-of-line checks, royalties

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:29:17.566881
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import forgeline.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_authority",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("serial_hex", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("encrypted_key_pem", sa.Text(), nullable=True),
        sa.Column("key_protection", sa.String(length=16), nullable=False),
        sa.Column("key_ref", sa.String(length=200), nullable=True),
        sa.Column("not_after", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("crl_number", sa.Integer(), nullable=False),
        sa.Column("crl_pem", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["certificate_authority.id"],
            name=op.f("fk_certificate_authority_parent_id_certificate_authority"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_authority")),
        sa.UniqueConstraint("name", name=op.f("uq_certificate_authority_name")),
        sa.UniqueConstraint("serial_hex", name=op.f("uq_certificate_authority_serial_hex")),
    )
    op.create_table(
        "eol_check",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_uid", sa.String(length=80), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=True),
        sa.Column("checked_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eol_check")),
    )
    with op.batch_alter_table("eol_check", schema=None) as batch_op:
        batch_op.create_index("ix_eol_check_unit", ["unit_uid", "checked_at"], unique=False)

    op.create_table(
        "imei_range",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tac", sa.String(length=8), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("next_serial", sa.Integer(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "next_serial BETWEEN 0 AND 1000000", name=op.f("ck_imei_range_serial_bound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imei_range")),
        sa.UniqueConstraint("tac", name=op.f("uq_imei_range_tac")),
    )
    with op.batch_alter_table("imei_range", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imei_range_model_code"), ["model_code"], unique=False)

    op.create_table(
        "imei_record",
        sa.Column("imei", sa.String(length=15), nullable=False),
        sa.Column("tac", sa.String(length=8), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("unit_uid", sa.String(length=80), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issued_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("imei", name=op.f("pk_imei_record")),
    )
    with op.batch_alter_table("imei_record", schema=None) as batch_op:
        batch_op.create_index("ix_imei_record_unit", ["unit_uid"], unique=False)

    op.create_table(
        "licence_pool",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("licensor", sa.String(length=64), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.Column("consumed", sa.Integer(), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "consumed >= 0 AND consumed <= granted", name=op.f("ck_licence_pool_within_grant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_pool")),
        sa.UniqueConstraint("code", name=op.f("uq_licence_pool_code")),
    )
    with op.batch_alter_table("licence_pool", schema=None) as batch_op:
        batch_op.create_index(
            "ix_licence_pool_lookup", ["model_code", "territory", "valid_from"], unique=False
        )

    op.create_table(
        "model_rollback_floor",
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("rollback_index", sa.Integer(), nullable=False),
        sa.Column("updated_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_code", name=op.f("pk_model_rollback_floor")),
    )
    op.create_table(
        "release_key",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("public_key_hex", sa.String(length=64), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_release_key_key_id")),
    )
    op.create_table(
        "release_manifest",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("security_patch", sa.Date(), nullable=False),
        sa.Column("rollback_index", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("signature_hex", sa.String(length=128), nullable=False),
        sa.Column("created_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_manifest")),
        sa.UniqueConstraint(
            "model_code", "version", name=op.f("uq_release_manifest_model_code_version")
        ),
    )
    op.create_table(
        "royalty_agreement",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("licensor", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate_per_unit", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("minimum_per_quarter", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("updated_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_royalty_agreement")),
        sa.UniqueConstraint("licensor", name=op.f("uq_royalty_agreement_licensor")),
    )
    op.create_table(
        "security_policy",
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("minimum_patch", sa.Date(), nullable=False),
        sa.Column("updated_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_code", name=op.f("pk_security_policy")),
    )
    op.create_table(
        "device_identity",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_uid", sa.String(length=80), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("serial_hex", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "issuer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("imeis", sa.JSON(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=True),
        sa.Column("issued_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("revoked_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["certificate_authority.id"],
            name=op.f("fk_device_identity_issuer_id_certificate_authority"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_identity")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_device_identity_fingerprint")),
        sa.UniqueConstraint("serial_hex", name=op.f("uq_device_identity_serial_hex")),
    )
    with op.batch_alter_table("device_identity", schema=None) as batch_op:
        batch_op.create_index("ix_device_identity_issued_at", ["issued_at"], unique=False)
        batch_op.create_index(
            "ix_device_identity_one_active",
            ["unit_uid"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.create_index("ix_device_identity_unit", ["unit_uid"], unique=False)

    op.create_table(
        "flash_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_uid", sa.String(length=80), nullable=False),
        sa.Column(
            "manifest_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("station", sa.String(length=64), nullable=True),
        sa.Column("flashed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["release_manifest.id"],
            name=op.f("fk_flash_record_manifest_id_release_manifest"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_record")),
    )
    with op.batch_alter_table("flash_record", schema=None) as batch_op:
        batch_op.create_index("ix_flash_record_unit", ["unit_uid", "flashed_at"], unique=False)

    op.create_table(
        "licence_consumption",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pool_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_uid", sa.String(length=80), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("consumed_at", forgeline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["licence_pool.id"],
            name=op.f("fk_licence_consumption_pool_id_licence_pool"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_consumption")),
        sa.UniqueConstraint("unit_uid", name=op.f("uq_licence_consumption_unit_uid")),
    )
    with op.batch_alter_table("licence_consumption", schema=None) as batch_op:
        batch_op.create_index(
            "ix_licence_consumption_pool_time", ["pool_id", "consumed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("licence_consumption", schema=None) as batch_op:
        batch_op.drop_index("ix_licence_consumption_pool_time")

    op.drop_table("licence_consumption")
    with op.batch_alter_table("flash_record", schema=None) as batch_op:
        batch_op.drop_index("ix_flash_record_unit")

    op.drop_table("flash_record")
    with op.batch_alter_table("device_identity", schema=None) as batch_op:
        batch_op.drop_index("ix_device_identity_unit")
        batch_op.drop_index(
            "ix_device_identity_one_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_device_identity_issued_at")

    op.drop_table("device_identity")
    op.drop_table("security_policy")
    op.drop_table("royalty_agreement")
    op.drop_table("release_manifest")
    op.drop_table("release_key")
    op.drop_table("model_rollback_floor")
    with op.batch_alter_table("licence_pool", schema=None) as batch_op:
        batch_op.drop_index("ix_licence_pool_lookup")

    op.drop_table("licence_pool")
    with op.batch_alter_table("imei_record", schema=None) as batch_op:
        batch_op.drop_index("ix_imei_record_unit")

    op.drop_table("imei_record")
    with op.batch_alter_table("imei_range", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imei_range_model_code"))

    op.drop_table("imei_range")
    with op.batch_alter_table("eol_check", schema=None) as batch_op:
        batch_op.drop_index("ix_eol_check_unit")

    op.drop_table("eol_check")
    op.drop_table("certificate_authority")
