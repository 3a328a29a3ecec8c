"""The request (or CLI command) a unit of work belongs to, so audit entries can name it.

Set by the HTTP middleware from X-Request-ID and by the CLI for each command; read by the audit
log. A context variable, so concurrent requests in one process never see each other's id.
"""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("forgeline_request_id", default=None)
