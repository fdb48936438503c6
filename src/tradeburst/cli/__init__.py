"""The `tradeburst` command: one typer application; only this package starts an event loop."""

from tradeburst.cli._app import app, main

__all__ = ["app", "main"]
