"""Questions about a document the corpus does not hold: one it is expected to
hold but lacks (its text is missing: say so, point to the upload, and answer
only what other documents say about it), or one it has never heard of."""

from __future__ import annotations

import re

from ..frame import core_title, names_document
from ..refusal import support
from . import Answer, Context, Refusal
from .extractive import lead_line

UPLOAD = "可在“文档管理”页上传该文件的正式文本，加入索引后即可据此回答"
# questions about a document as an object (when, where, by whom it was adopted), which
# other documents may answer; anything else asks for its own text
ABOUT_DOCUMENT = re.compile(
    r"什么时候|何时|哪年|哪一年|审议|通过|印发|发布|出台|颁布|制定|哪次|哪个会议|谁"
)
_QUOTED = re.compile(r"《([^》]{2,60})》")


def answer(ctx: Context) -> Answer | Refusal | None:
    if ctx.frame.missing:
        return _missing(ctx, ctx.frame.missing)
    unindexed = [t for t in _QUOTED.findall(ctx.frame.text) if not names_indexed(ctx, t)]
    if not unindexed or ctx.frame.documents:
        return None
    title = unindexed[0]
    mentions = [c for c in ctx.ranked if title in c.text]
    if ctx.frame.article is not None or not (mentions or _known(ctx, title)):
        # its own text is asked for, or nothing here knows it
        where = "，已收录的文件只提到了它" if mentions else "，已收录的文件中也没有它的内容"
        return Refusal(
            f"资料中没有《{title}》的全文{where}", [lead_line(ctx, c) for c in mentions[:1]]
        )
    return None  # what other documents say about it may answer


def names_indexed(ctx: Context, title: str) -> bool:
    return any(names_document(f"《{title}》", t) for t in ctx.reader.titles().values())


def _known(ctx: Context, title: str) -> bool:
    """Indexed, expected, or at least named by some indexed passage."""
    titles = [d.title for d in ctx.profile.expected] + [ctx.title(h.chunk.doc_id) for h in ctx.hits]
    if any(names_document(f"《{title}》", t) or title in t for t in titles):
        return True
    return any(title in h.chunk.text for h in ctx.hits)


def _missing(ctx: Context, title: str) -> Answer | Refusal:
    """What indexed documents say about the missing one may answer (when it was adopted);
    anything about its own content may not."""
    core = core_title(title)
    mentions = [c for c in ctx.ranked if core in c.text or title in c.text]
    about_it = ctx.frame.article is None and ABOUT_DOCUMENT.search(ctx.frame.text)
    for c in mentions[:3] if about_it else []:
        if (
            not c.missing
            and support(ctx.frame.text, c, _without_title(ctx, title), ctx.reader).enough
        ):
            return Answer([lead_line(ctx, c)], end="。")
    said = "资料中只有其他文件对它的提及" if mentions else "资料中也没有其他文件提及它"
    reason = f"《{title}》的全文尚未收录，{said}；{UPLOAD}"
    return Refusal(reason, [lead_line(ctx, c) for c in mentions[:1]])


def _without_title(ctx: Context, title: str):
    words = set(title) | set(core_title(title))
    return [t for t in ctx.terms if not set(t.text) <= words]
