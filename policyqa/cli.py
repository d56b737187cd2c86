"""`policyqa` command line: parses arguments and calls library functions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .errors import PolicyQAError
from .settings import Settings

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PolicyQAError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    envvar="POLICYQA_HOME",
    default=None,
    help="Folder holding all state (index, caches, uploads). [POLICYQA_HOME]",
)
@click.version_option(package_name="policyqa")
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """policyqa: cited answers from Chinese policy documents."""
    ctx.obj = Settings.from_env(home=home)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--rebuild",
    is_flag=True,
    envvar="POLICYQA_REBUILD",
    help="Re-embed everything, e.g. after changing the model.",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool) -> None:
    """Build or refresh the index from PATHS (default: the corpus folder)."""
    from .pipeline import run_ingest

    summary = run_ingest(_settings(ctx), list(paths) or None, rebuild, progress=sys.stderr.isatty())
    for path, reason in summary.errors:
        click.echo(f"error: {path}: {reason}", err=True)
    click.echo(format_summary(summary))
    if summary.errors:
        sys.exit(1)


def format_summary(s) -> str:
    lines = [
        f"files {s.files}: added {s.added}, updated {s.updated}, removed {s.removed}, "
        f"unchanged {s.unchanged}, errors {len(s.errors)}",
        f"chunks {s.chunks} (embedded {s.embedded} new), model {s.model}, "
        f"generation {s.generation}, {s.seconds:.1f} s",
    ]
    if s.stale_lock:
        lines.append(s.stale_lock)
    for title in s.missing:
        lines.append(f"missing expected document: 《{title}》 (add its file to the corpus folder)")
    return "\n".join(lines)


@main.command()
@click.argument("query")
@click.option("-k", "--top", "k", default=10, show_default=True, envvar="POLICYQA_TOP_K")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="key=value with key doc, role, industry, page or kind; repeatable.",
)
@click.option("--doc", default=None, help="Only this document id.")
@click.option(
    "--mode",
    default=None,
    envvar="POLICYQA_RETRIEVAL",
    type=click.Choice(["hybrid", "lexical", "bm25", "dense"]),
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search(ctx, query: str, k: int, filters: tuple[str, ...], doc: str | None, mode, as_json):
    """Ranked passages for QUERY, with score, section path and offsets."""
    from .pipeline import search_passages

    try:
        passages = search_passages(_settings(ctx), query, k, list(filters), doc, mode)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(passages, ensure_ascii=False, indent=1))
        return
    if not passages:
        click.echo("no passages found")
    for p in passages:
        page = f" p.{p['page']}" if p["page"] else ""
        click.echo(
            f"[{p['rank']}] {p['score']:.4f}  {p['section']}{page}  ({p['start']}-{p['end']})"
        )
        click.echo(f"    {p['text'][:160].replace(chr(10), ' ')}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Documents, chunk counts, model, missing expected documents, index location."""
    from .pipeline import index_status

    info = index_status(_settings(ctx))
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=1))
        return
    click.echo(f"index: {info['index_dir']} ({'built' if info['built'] else 'not built'})")
    if info["built"]:
        click.echo(
            f"model: {info['model']}  built: {info['built_at']}  generation {info['generation']}"
        )
        click.echo(f"chroma: {info['chroma']}  chunks: {info['chunk_count']}")
        for d in info["documents"]:
            click.echo(f"  {d['doc_id']}: {d['chunks']} chunks  《{d['title']}》")
    if info["missing"]:
        click.echo("missing expected documents (add the official files to the corpus folder):")
        for m in info["missing"]:
            click.echo(f"  《{m['title']}》 ({m['doc_type']})")
    else:
        click.echo("all expected documents are present")


if __name__ == "__main__":
    main()
