"""Questions about two things at once (two places, two years, two documents):
each is answered from its own sentence, or the answer says which one the
documents do not give."""

from __future__ import annotations

from dataclasses import replace

from ..compose import Line
from ..constraints import missing
from ..evidence import Candidate, gather
from ..frame import Frame
from ..ranking import rank
from ..refusal import MIN_COVERAGE, support
from . import Answer, Context
from .extractive import lead_line


def answer(ctx: Context) -> Answer | None:
    frame = ctx.frame
    if frame.kind not in ("fact", "status"):
        return None
    entities = _entities(ctx)
    if len(entities) < 2:
        return None
    found, absent = [], []
    for label, sub in entities:
        best = _best(ctx, sub)
        if best is None:
            absent.append(label)
        else:
            found.append(replace(lead_line(ctx, best), label=label))
    if not found or (not frame.compare and absent):
        return None
    if not absent and len({(li.quote.chunk.chunk_id, li.quote.start) for li in found}) == 1:
        # one sentence gives both (and often the difference, 仅占广东省的8.7%): quote it whole
        return Answer([replace(found[0], shown="", label="")], end="。")
    found = _merged(found)
    end = f"；资料未给出{'、'.join(absent)}的相关内容。" if absent else "。"
    return Answer(found, sep="；", end=end)


def _merged(lines: list[Line]) -> list[Line]:
    """Sides answered by the same sentence share one line (2021年、2022年：…)."""
    out: dict[tuple[str, int], Line] = {}
    for li in lines:
        key = (li.quote.chunk.chunk_id, li.quote.start)
        if key in out:
            out[key] = replace(out[key], label=f"{out[key].label}、{li.label}", shown="")
        else:
            out[key] = li
    return list(out.values())


def _entities(ctx: Context) -> list[tuple[str, Frame]]:
    """(label, the question narrowed to it) for each thing compared."""
    frame = ctx.frame
    if len(frame.documents) >= 2:
        return [(f"《{ctx.title(d)}》", replace(frame, documents=(d,))) for d in frame.documents]
    if len(frame.industries) >= 2 and (frame.compare or frame.number):
        return [(i, replace(frame, subject=i)) for i in frame.industries]
    if not frame.compare:
        return []
    out = []
    home = [h for h in ctx.profile.regions.home_names if h in frame.text]
    if frame.home and len(frame.places) == 1 and not frame.entities:
        # 成渝地区和京津冀地区…: the home region is one side, named as the question names it
        name = max(home, key=len)
        return [(name, replace(frame, places=(name,))), (frame.places[0], frame)]
    for e in frame.entities:
        if e in frame.places:
            out.append((e, replace(frame, places=(e,))))
        else:
            out.append((f"{e}年", replace(frame, years=frozenset({int(e)}))))
    return out


def _best(ctx: Context, sub: Frame) -> Candidate | None:
    cands = ctx.ranked
    if len(sub.documents) == 1 and sub.documents != ctx.frame.documents:
        hits = ctx.reader.search(ctx.query, k=8, filters=ctx.filters.with_(doc=list(sub.documents)))
        cands = rank(gather(ctx.reader, hits, ctx.qvec, ctx.terms), sub)
    for c in cands[:15]:
        if missing(sub, c, ctx.profile, ctx.title(c.chunk.doc_id)):
            continue
        if support(sub.text, c, ctx.terms, ctx.reader).coverage >= MIN_COVERAGE * 0.7:
            return c
    return None
