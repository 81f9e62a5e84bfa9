"""`summarizer local`: the local model's status, and a server other commands reuse."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from summarizer import local
from summarizer.cli.common import build_settings, friendly_errors, progress

local_app = typer.Typer(help="The local model: status, and a server other commands reuse.")


@local_app.command("serve")
@friendly_errors
def local_serve(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
    local_model: Annotated[Path | None, typer.Option(help="A GGUF file to serve.")] = None,
) -> None:
    """Run the local model server until Ctrl-C; `summarize` reuses it meanwhile."""
    settings = build_settings(local_port=port, local_model=local_model)
    with local.serving(settings, progress) as state:
        progress(
            f"serving {Path(state.model).name} at {state.base_url} (pid {state.pid}); Ctrl-C stops"
        )
        while True:
            time.sleep(3600)


@local_app.command("status")
@friendly_errors
def local_status(
    local_model: Annotated[Path | None, typer.Option(help="A GGUF file to report on.")] = None,
) -> None:
    """What is installed, where, how big, and whether a server is running."""
    info = local.status(build_settings(local_model=local_model))
    size = info["model_bytes"]
    lines = [
        f"model:   {info['model']}",
        f"         {'present, ' + format(size, ',') + ' bytes' if size else 'not downloaded yet'}",
        "runtime: " + ("installed" if info["runtime_installed"]
                       else f"not installed ({local.RUNTIME_INSTALL})"),
        "server:  " + (f"running at {info['server']['base_url']} (pid {info['server']['pid']})"
                       if info["server"] else "none running"),
    ]  # fmt: skip
    sys.stdout.write("\n".join(lines) + "\n")
