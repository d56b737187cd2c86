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
        if info["vocabulary_changed"]:
            click.echo(
                "the dictionary or thesaurus changed since this build: run `policyqa ingest`"
            )
    if info["missing"]:
        click.echo("missing expected documents (add the official files to the corpus folder):")
        for m in info["missing"]:
            click.echo(f"  《{m['title']}》 ({m['doc_type']})")
    else:
        click.echo("all expected documents are present")


@main.command()
@click.argument("question", required=False)
@click.option("--filter", "filters", multiple=True, help="key=value (doc, role, industry, page).")
@click.option("--doc", default=None, help="Only this document id.")
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
@click.option(
    "--llm",
    is_flag=True,
    envvar="POLICYQA_USE_LLM",
    help="Let the configured chat model write the answer (falls back to extractive).",
)
@click.pass_context
def ask(
    ctx, question: str | None, filters: tuple[str, ...], doc: str | None, as_json: bool, llm: bool
):
    """Answer QUESTION with cited sources; without QUESTION, an interactive prompt with history."""
    from .pipeline import ask as ask_fn
    from .render import format_answer

    settings = _settings(ctx)
    try:
        from policyqa.index.retriever import Filters

        f = Filters.parse(list(filters), doc)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if question is not None:
        result = ask_fn(settings, question, filters=f, use_llm=llm)
        click.echo(
            json.dumps(result, ensure_ascii=False, indent=1) if as_json else format_answer(result)
        )
        return
    history: list[dict] = []
    click.echo("输入问题，回车提交；空行或 Ctrl-D 退出。")
    while True:
        try:
            line = input("问> ")
        except EOFError:
            break
        if not line.strip():
            break
        result = ask_fn(settings, line, history=history, filters=f, use_llm=llm)
        click.echo(format_answer(result))
        history += [
            {"role": "user", "content": line},
            {"role": "assistant", "content": result["answer"]},
        ]


@main.command()
@click.option(
    "--host", default=None, envvar="POLICYQA_HOST", help="Bind address (default 127.0.0.1)."
)
@click.option("--port", default=None, type=int, envvar="POLICYQA_PORT", help="Port (default 7860).")
@click.pass_context
def serve(ctx, host: str | None, port: int | None) -> None:
    """Start the web UI (chat, passage search, documents)."""
    from policyqa.assistant.webapp import serve as serve_app

    settings = _settings(ctx).with_(**{k: v for k, v in (("host", host), ("port", port)) if v})
    serve_app(settings)


@main.command("eval")
@click.option(
    "--gold",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    envvar="POLICYQA_GOLD",
    help="Gold questions (JSONL).",
)
@click.option("-k", "k", default=5, show_default=True, help="Cut-off for hit@k and recall@k.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write per-question results and scores here.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Write report.md, metrics.json and compare.png here.",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Also run BM25-only, dense-only and the naive LangChain baseline.",
)
@click.pass_context
def eval_cmd(
    ctx, gold: Path, k: int, json_out: Path | None, report_dir: Path | None, compare: bool
):
    """Score answers and retrieval against gold evidence."""
    from policyqa.eval.runner import run_eval

    run_eval(_settings(ctx), gold, k=k, compare=compare, json_out=json_out, report_dir=report_dir)


@main.command()
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path),
    default=Path("out/bench"),
    show_default=True,
    help="Folder for bench.json, bench.md and plots.",
)
@click.option("--quick", is_flag=True, help="Small sizes only: a smoke run in under a minute.")
@click.pass_context
def bench(ctx, report_dir: Path, quick: bool) -> None:
    """Measure ingest against encode-only, query latency, cold start and scale."""
    from policyqa.eval.bench import run_bench

    run_bench(_settings(ctx), report_dir, quick=quick)


if __name__ == "__main__":
    main()
