"""`policyqa` command line: parses arguments and calls library functions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .errors import PolicyQAError
from .settings import Settings

OFFLINE = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_OFFLINE": "1",
}


def _app(ctx: click.Context):
    from .app import PolicyQA

    if not isinstance(ctx.obj, PolicyQA):
        ctx.obj = PolicyQA(ctx.obj)
    return ctx.obj


def _settings(ctx: click.Context) -> Settings:
    return _app(ctx).settings


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
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)  # no telemetry, no hub: before any library loads
    ctx.obj = Settings.from_env(home=home)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--rebuild",
    is_flag=True,
    envvar="POLICYQA_REBUILD",
    help="Re-embed everything, e.g. after changing the model.",
)
@click.option(
    "--repair",
    is_flag=True,
    envvar="POLICYQA_REPAIR",
    help="Also check every vector in Chroma; damaged files are rebuilt from intact ones "
    "(a plain ingest repairs too).",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, repair: bool) -> None:
    """Build or refresh the index from PATHS (default: the corpus folder)."""
    app = _app(ctx)
    summary = app.ingest(list(paths) or None, rebuild, sys.stderr.isatty(), repair=repair)
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
    lines += [f"repaired: {line}" for line in s.repaired]
    lines += s.notes
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
    from .index.filters import Filters

    try:
        f = Filters.parse(list(filters), doc)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    passages = [p.to_dict() for p in _app(ctx).search(query, k, f, mode)]
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
@click.option(
    "--verify",
    is_flag=True,
    help="Check every index file's checksum and the Chroma collection; "
    "exit 1 and name each damaged file when any is.",
)
@click.pass_context
def status(ctx: click.Context, as_json: bool, verify: bool) -> None:
    """Documents, chunk counts, model, missing expected documents, index location."""
    if verify:
        _verify(_app(ctx), as_json)
        return
    info = _app(ctx).status().to_dict()
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


def _verify(app, as_json: bool) -> None:
    result = app.verify()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        for d in result.damaged:
            click.echo(f"damaged: {d.line()}")
        checked = f"{result.files} files" + (", the Chroma collection" if result.chroma else "")
        verdict = "no damage" if result.ok else f"{len(result.damaged)} damaged"
        click.echo(
            f"verified generation {result.generation}: {checked}, {result.seconds:.2f} s: "
            f"{verdict}" + ("" if result.ok else "; run `policyqa ingest --repair`")
        )
    if not result.ok:
        sys.exit(1)


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
    from .index.filters import Filters
    from .render import format_answer

    app = _app(ctx)
    try:
        f = Filters.parse(list(filters), doc)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if question is not None:
        result = app.ask(question, filters=f, use_llm=llm).to_dict()
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
        try:
            result = app.ask(line, history=history, filters=f, use_llm=llm).to_dict()
        except PolicyQAError as exc:  # this question failed (server down, …): the next may not
            click.echo(f"error: {exc}", err=True)
            continue
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
    from policyqa.web.app import serve as serve_app

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
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Answer from these folders (repeatable) instead of the index under --home; "
    "they are indexed together into a home of their own, the first one's profile applies.",
)
@click.pass_context
def eval_cmd(
    ctx,
    gold: Path,
    k: int,
    json_out: Path | None,
    report_dir: Path | None,
    compare: bool,
    corpora: tuple[Path, ...],
):
    """Score answers and retrieval against gold evidence."""
    from policyqa.eval.runner import corpora_app, run_eval

    app = corpora_app(_settings(ctx), list(corpora)) if corpora else _app(ctx)
    run_eval(app, gold, k=k, compare=compare, json_out=json_out, report_dir=report_dir)


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
@click.option(
    "--scale",
    type=click.IntRange(min=100),
    default=None,
    help="Chunks in the largest synthetic corpus (default 100,000; --quick: 800).",
)
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(["ingest", "latency", "cold_start", "concurrency", "baseline", "scale"]),
    help="Run only these sections (repeatable).",
)
@click.pass_context
def bench(ctx, report_dir: Path, quick: bool, scale: int | None, only: tuple[str, ...]) -> None:
    """Measure ingest against encode-only, query latency, a one-shot question and scale."""
    from policyqa.eval.bench.run import run_bench

    run_bench(_settings(ctx), report_dir, quick=quick, scale=scale, only=only)


@main.command("bench-worker", hidden=True)
@click.argument("kind", type=click.Choice(["ingest", "query", "both"]))
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--vectors", type=click.Path(exists=True, path_type=Path))
@click.option("--map", "map_path", type=click.Path(exists=True, path_type=Path))
@click.option("--queries", type=int, default=100)
@click.pass_context
def bench_worker(ctx, kind: str, out: Path, vectors: Path, map_path: Path, queries: int) -> None:
    """One scale measurement in a fresh process (started by `policyqa bench`)."""
    from policyqa.eval.bench.scale import worker

    worker(kind, _settings(ctx), vectors, map_path, queries, out)


if __name__ == "__main__":
    main()
