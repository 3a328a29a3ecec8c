"""`forgeline init` and `forgeline serve`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve() -> None:
        """Serve the API and pages."""
        import uvicorn

        from forgeline.app import create_app
        from forgeline.cli.context import settings

        s = settings()
        uvicorn.run(create_app(s), host=s.host, port=s.port)
