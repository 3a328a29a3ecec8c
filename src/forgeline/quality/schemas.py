"""Request and response models of the nonconformance, 8D, sampling and certificate APIs.

Domain rules (known sources, dispositions, AQLs, lot sizes) are checked by the services, so a
client gets the stable domain code for each refusal rather than a generic validation error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from forgeline.api.schemas import StrictModel

Uids = list[str]
Text = str


class NcrCreate(StrictModel):
    source: str = Field(
        description="measurement, alarm, inspection, field_return or manual", max_length=16
    )
    title: str = Field(max_length=200)
    description: Text = Field(max_length=10_000)
    units: Uids = Field(default_factory=list, description="identifiers of the affected units")
    alarm_id: int | None = None
    measurement_id: int | None = None
    lot: str | None = Field(None, max_length=64, description="a material lot the NCR concerns")
    contain: bool = Field(False, description="hold the units at once (one production hold)")


class NcrUpdate(StrictModel):
    title: str | None = Field(None, max_length=200)
    description: Text | None = Field(None, max_length=10_000)
    add_units: Uids = Field(default_factory=list)
    contain: bool = Field(False, description="hold the added units too")


class NcrDisposition(StrictModel):
    disposition: str = Field(description="use_as_is, rework, scrap or return_to_supplier")
    note: Text = Field(max_length=10_000)


class NcrClose(StrictModel):
    note: Text = Field(max_length=10_000)


class NcrUnitOut(StrictModel):
    uid: str
    product_code: str
    status: str
    hold_id: int | None
    held: bool


class NcrOut(StrictModel):
    code: str
    source: str
    title: str
    description: str
    status: str
    alarm_id: int | None
    measurement_id: int | None
    lot: str | None
    disposition: str | None
    disposition_note: str | None
    production_effect: dict[str, Any] | None
    opened_by: str
    opened_at: datetime
    dispositioned_by: str | None
    dispositioned_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    closure_note: str | None
    unit_count: int
    units: list[NcrUnitOut] | None = Field(None, description="in the single-NCR answer only")


class EightDFields(StrictModel):
    d1_team: Text | None = None
    d2_problem: Text | None = None
    d3_containment: Text | None = None
    d4_root_cause: Text | None = None
    d5_corrective_action: Text | None = None
    d6_implementation: Text | None = None
    d7_prevention: Text | None = None
    d8_closure: Text | None = None


class EightDCreate(EightDFields):
    title: str = Field(max_length=200)
    customer: str = Field(max_length=64, description="the brand customer's code")
    complaint_ref: str = Field("", max_length=80, description="the brand's complaint number")
    ncrs: list[str] = Field(default_factory=list, description="codes of linked NCRs")
    units: Uids = Field(default_factory=list, description="traced unit identifiers")


class EightDUpdate(EightDFields):
    add_ncrs: list[str] = Field(default_factory=list)
    add_units: Uids = Field(default_factory=list)
    close: bool = Field(False, description="close the report (every discipline must be written)")


class EightDOut(EightDFields):
    code: str
    title: str
    customer: str
    complaint_ref: str
    status: str
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    ncrs: list[str]
    units: list[str]


class SamplingPlanOut(StrictModel):
    lot_size: int
    level: str
    aql: str
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int
    hundred_percent: bool
    decision: str | None = Field(None, description="with ?nonconforming=: accept or reject")


class SamplingResultCreate(StrictModel):
    subject_type: str = Field(description="lot, batch or work_order", max_length=16)
    subject: str = Field(max_length=80)
    test: str = Field(max_length=64, description="e.g. ring-on-ring, CS/DOL")
    lot_size: int
    aql: str = Field(max_length=8)
    level: str = Field("II", max_length=6)
    nonconforming: int
    characteristic: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=2000)


class SamplingResultOut(StrictModel):
    id: int
    subject_type: str
    subject: str
    test: str
    characteristic: str | None
    lot_size: int
    level: str
    aql: str
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int
    nonconforming: int
    decision: str
    note: str
    recorded_by: str
    recorded_at: datetime


class CertificateCreate(StrictModel):
    customer: str = Field(max_length=64)
    work_order: str | None = Field(None, max_length=64)
    units: Uids = Field(default_factory=list)


class CertificateOut(StrictModel):
    code: str
    customer: str
    product: str
    scope: dict[str, Any]
    unit_count: int
    sha256: str
    issued_by: str
    issued_at: datetime
    summary: dict[str, Any]
    pdf_url: str


class VerificationOut(StrictModel):
    valid: bool
    sha256: str
    certificate: str | None = None
    customer: str | None = None
    product: str | None = None
    units: int | None = None
    issued_at: str | None = None
    issued_by: str | None = None
    audit_seq: int | None = None
    reason: str | None = None


class QdasRequest(StrictModel):
    characteristics: list[str] = Field(default_factory=list, description="default: all measured")
    work_order: str | None = Field(None, max_length=64)
    certificate: str | None = Field(None, max_length=32)
    units: Uids = Field(default_factory=list)
