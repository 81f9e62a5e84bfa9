"""The README's command reference says what the commands really take: docs cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from summarizer.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def command(*path: str) -> Any:
    """The click command typer builds (typer ships its own click, hence no isinstance)."""
    found = typer.main.get_command(app)
    for name in path:
        found = found.commands[name]
    return found


def flags(cmd: Any) -> set[str]:
    return {
        opt
        for param in cmd.params
        if param.param_type_name == "option"
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    }


def section(title: str) -> str:
    """The README text from a heading to the next heading of the same or a higher level (lines
    inside fenced code blocks are not headings)."""
    lines = README.splitlines()
    start = lines.index(next(x for x in lines if re.fullmatch(rf"#+ {re.escape(title)}", x)))
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    fenced, end = False, len(lines)
    for i in range(start + 1, len(lines)):
        fenced ^= lines[i].startswith("```")
        if not fenced and re.match(rf"#{{1,{level}}} ", lines[i]):
            end = i
            break
    return "\n".join(lines[start + 1 : end])


def test_the_summarize_options_table_lists_exactly_the_commands_options() -> None:
    table = section("The command line").split("Options of `summarize`:")[1].split("\n\n")[1]
    documented = set(re.findall(r"^\| `(--[a-z-]+)", table, re.M))
    assert documented == flags(command("summarize"))


def listed_commands() -> set[tuple[str, ...]]:
    """Command paths in the README's listing; `batch submit|status|collect` stands for three."""
    found = set()
    for line in section("The command line").split("```")[1].splitlines():
        words = line.split("  ")[0].split()[1:] if line.startswith("summarizer ") else []
        path = []
        for word in words:
            if not re.fullmatch(r"[a-z]+(\|[a-z]+)*", word):
                break
            path.append(word)
        if path:
            found |= {(*path[:-1], last) for last in path[-1].split("|")}
    return found


def test_the_command_list_names_every_command() -> None:
    def paths(cmd: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        subs = getattr(cmd, "commands", {})
        own = {prefix} if prefix and (not subs or prefix == ("batch",)) else set()
        return own.union(*(paths(c, (*prefix, n)) for n, c in subs.items()))

    # `batch` runs `batch run`: it is listed as `summarizer batch INPUTS...`
    assert listed_commands() == paths(command()) - {("batch", "run")}


def test_every_batch_option_is_explained_in_batch_jobs() -> None:
    text = section("Batch jobs")
    shared = flags(command("summarize"))  # explained in the command-line section
    for name in ("run", "submit", "collect"):
        missing = {
            f
            for f in flags(command("batch", name)) - shared
            if not re.search(rf"(?<![\w-]){f}(?![\w-])", text)
        }
        assert not missing, f"batch {name}: {sorted(missing)} not in the README's Batch jobs"


def test_the_sample_output_is_what_the_recorded_run_renders() -> None:
    """The README's Markdown sample is seed 001's replay, cut after five claims (timing aside)."""
    from summarizer import ingest, render
    from summarizer.pipeline import summarize
    from summarizer.replay import cassette
    from summarizer.settings import Settings

    root = Path(__file__).resolve().parent.parent
    seed = root / "seeds" / "001_b7f1fa76c3008a42.txt"
    with cassette(root / "cassettes" / "seeds" / f"{seed.stem}.yaml", record=False):
        lines = render.to_markdown(summarize(ingest.read_path(seed), Settings())).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("- **")]
    footer = lines.index("---")
    shown = [*lines[: starts[5]], "", f"({len(starts) - 5} more claims)", "", *lines[footer:]]
    sample = section("Sample output").split("```markdown\n")[1].split("\n```")[0]
    untimed = re.compile(r" · [\d.]+s</sub>")
    assert untimed.sub("</sub>", sample.rstrip("\n")) == untimed.sub("</sub>", "\n".join(shown))
