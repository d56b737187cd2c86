"""The documents tab as shown: the index and its documents, the expected
documents still missing, an upload's report and a document's citation fields."""

from __future__ import annotations

from datetime import datetime

from .render import DOC_TYPES, ROLE_LABELS, esc


def local_time(stamp: str) -> str:
    """An ISO time as a <time> the page shows in the reader's time zone (page.js);
    until then, and without JavaScript, in the server's."""
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
    except (TypeError, ValueError):
        return esc(stamp)
    shown = when.astimezone().strftime("%Y年%m月%d日 %H:%M")
    return f'<time datetime="{esc(when.isoformat())}" data-pq-local>{shown}</time>'


def status_html(status: dict, role_counts: dict[str, dict[str, int]], labels: dict) -> str:
    if not status.get("built"):
        return (
            '<div class="pq-status pq-empty">尚未建立索引：请在下方上传文件，'
            "或由管理员运行 <code>policyqa ingest</code>。</div>"
        )
    labels = {**ROLE_LABELS, **labels}
    roles = [r for r in labels if any(r in c for c in role_counts.values())]
    head = "".join(f'<th scope="col">{esc(labels[r])}</th>' for r in roles)
    rows = []
    for d in status["documents"]:
        counts = role_counts.get(d["doc_id"], {})
        cells = "".join(f'<td data-label="{esc(labels[r])}">{counts.get(r, 0)}</td>' for r in roles)
        rows.append(
            f'<tr><th scope="row" data-label="文档">{esc(d["title"])}</th>'
            f'<td data-label="类型">{esc(DOC_TYPES.get(d["doc_type"], d["doc_type"]))}</td>'
            f'<td data-label="段落数">{d["chunks"]}</td>{cells}</tr>'
        )
    info = (
        f"<p>已收录 {len(status['documents'])} 份文件，共 {esc(status.get('chunk_count'))} 个段落"
        f" · 索引更新于 {local_time(status.get('built_at') or '')}"
        f" · 第 {esc(status.get('generation'))} 版 · 嵌入模型 <code>{esc(status.get('model'))}</code></p>"
    )
    table = (
        '<table class="pq-table"><caption>各文件的段落数（按章节类型）</caption>'
        f'<thead><tr><th scope="col">文档</th><th scope="col">类型</th><th scope="col">段落数</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="pq-status">{info}{table}{_missing(status.get("missing") or [])}</div>'


def _missing(missing: list[dict]) -> str:
    if not missing:
        return '<p class="pq-missing-none">预期文件均已收录。</p>'
    items = "".join(
        f"<li>《{esc(m['title'])}》{'（' + esc(m['adopted']) + '）' if m.get('adopted') else ''}</li>"
        for m in missing
    )
    return (
        f'<div class="pq-missing"><h4>尚未收录的文件（{len(missing)} 份）</h4><ul>{items}</ul>'
        "<p>这些文件不在索引中，相关问题无法据此回答。可在下方“上传文件”处上传正式文本后加入索引。</p></div>"
    )


def upload_html(lines: list[tuple[bool, str]], summary: str = "") -> str:
    """One line per file (accepted or not, with the reason), then the index summary."""
    if not lines and not summary:
        return ""
    items = "".join(
        f'<li class="{"pq-ok" if ok else "pq-bad"}">{"✓" if ok else "✗"} {esc(text)}</li>'
        for ok, text in lines
    )
    tail = f'<p class="pq-upload-summary">{esc(summary)}</p>' if summary else ""
    return f'<div class="pq-upload" role="status"><ul>{items}</ul>{tail}</div>'


def metadata_html(title: str, reference: str, note: str = "") -> str:
    """The citation a document gets with its current fields."""
    if not title:
        return '<p class="pq-empty">选择一份文件，查看并补充它的著录信息。</p>'
    saved = f'<p class="pq-saved" role="status">{esc(note)}</p>' if note else ""
    return (
        f'<div class="pq-meta-preview">{saved}<p>《{esc(title)}》的引用格式（GB/T 7714-2015）：</p>'
        f'<p class="pq-cite">{esc(reference)}</p></div>'
    )
