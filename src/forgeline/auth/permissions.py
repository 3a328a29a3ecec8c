"""The one permission table: which role may do which action. Pure data, no database.

Actions are "<area>.<verb>". Every route declares the action it needs with `require(action)`;
a generated test walks every route and every role and checks this table is enforced.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    OPERATOR = "operator"
    QUALITY = "quality"
    SECURITY = "security"
    LOGISTICS = "logistics"
    SUPPORT = "support"
    AUDITOR = "auditor"  # read-only across the plant, including the audit log
    STATION = "station"  # a machine authenticated by an API token, never a person


EVERYONE = frozenset(Role) - {Role.STATION}
PEOPLE_AND_STATIONS = frozenset(Role)

# action -> roles allowed. Admin is listed explicitly where allowed; there is no implicit superuser.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "plant.read": PEOPLE_AND_STATIONS,
    "plant.load": frozenset({Role.ADMIN}),
    "user.read": frozenset({Role.ADMIN, Role.AUDITOR}),
    "user.manage": frozenset({Role.ADMIN}),
    "skill.manage": frozenset({Role.ADMIN, Role.QUALITY}),
    "token.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN, Role.AUDITOR, Role.QUALITY, Role.SECURITY}),
    "audit.checkpoint": frozenset({Role.ADMIN}),
    "self.read": PEOPLE_AND_STATIONS,
    # Production master data, holds and performance reports.
    "production.read": EVERYONE,
    "workorder.manage": frozenset({Role.PLANNER, Role.ADMIN}),
    "material.manage": frozenset({Role.PLANNER, Role.LOGISTICS, Role.ADMIN}),
    # Bath chemistry is recorded where it is measured: furnace operators, the lab, the furnace.
    "bath.manage": frozenset({Role.OPERATOR, Role.QUALITY, Role.ADMIN, Role.STATION}),
    "hold.place": frozenset({Role.QUALITY, Role.OPERATOR, Role.ADMIN, Role.STATION}),
    # No admin: releasing product from quarantine is a quality decision only.
    "hold.release": frozenset({Role.QUALITY}),
    "trace.read": EVERYONE,
    # AOI: stations (and people at them) post images or vision results; results are read by all.
    "inspection.submit": frozenset({Role.STATION, Role.OPERATOR, Role.QUALITY, Role.ADMIN}),
    "inspection.read": EVERYONE,
    # The batch event path of stations, connectors and the simulator (and people keying in).
    "events.ingest": frozenset({Role.STATION, Role.OPERATOR, Role.ADMIN, Role.QUALITY}),
    # Secure handset program: provisioning stations, the security team, the licensor's auditors.
    "security.read": frozenset({Role.SECURITY, Role.ADMIN, Role.AUDITOR, Role.QUALITY}),
    "security.provision": frozenset({Role.STATION, Role.SECURITY, Role.ADMIN}),
    "security.manage": frozenset({Role.SECURITY, Role.ADMIN}),
    "royalty.read": frozenset({Role.SECURITY, Role.ADMIN, Role.AUDITOR}),
    # Quality records (NCRs, 8Ds, sampling, certificates) are read across the plant; checking a
    # certificate a brand sends back is a read too.
    "quality.read": EVERYONE,
    # Whoever finds a nonconformance opens it: inspection (operator), field returns (support).
    "ncr.open": frozenset({Role.QUALITY, Role.OPERATOR, Role.SUPPORT}),
    # Material review (disposition, closing) and 8D reports are quality decisions only.
    "ncr.manage": frozenset({Role.QUALITY}),
    "eightd.manage": frozenset({Role.QUALITY}),
    # Destructive and lab tests are recorded where they are done: the lab and quality.
    "sampling.record": frozenset({Role.QUALITY, Role.OPERATOR}),
    "certificate.issue": frozenset({Role.QUALITY}),
    # Live SPC: acknowledging an alarm (cause, action) and recalculating control limits on purpose.
    "spc.acknowledge": frozenset({Role.QUALITY}),
    "spc.limits": frozenset({Role.QUALITY}),
}


def is_allowed(roles: frozenset[Role] | set[Role], action: str) -> bool:
    """True when any of the roles may perform the action. Unknown actions are denied."""
    allowed = PERMISSIONS.get(action)
    return allowed is not None and not allowed.isdisjoint(roles)
