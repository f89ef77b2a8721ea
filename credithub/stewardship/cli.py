"""`credithub stewards …` (token management). Commands are added in the next commit."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manage data steward tokens.", no_args_is_help=True)
