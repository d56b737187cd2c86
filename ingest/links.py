"""Link each problem section to the countermeasure sections that answer it.

Computed at ingest from the document itself: TF-IDF cosine over jieba terms
of each section (title counted three times, as titles name the topic). Terms
found in more than half of these sections (the document's own subject, such
as its region or "协同发展") say nothing about which problem a measure answers
and are left out. A problem links to its best countermeasure and to any other
within `ratio` of the best, so "人才金融要素" reaches both 人才 and 金融
countermeasures.
"""

from __future__ import annotations

import math
from collections import Counter

from policyqa.documents import Document, Section
from policyqa.language import Tokenizer


def leaves(doc: Document, role: str) -> list[Section]:
    """Sections of a role with no subsection of the same role."""
    same = [s for s in doc.sections if s.role == role and s.title]
    return [s for s in same if not any(o is not s and s.start < o.start < s.end for o in same)]


def _terms(tokenizer: Tokenizer, title: str, body: str) -> Counter:
    terms = tokenizer.terms(title) * 3 + tokenizer.terms(body)
    return Counter(t for t in terms if len(t) > 1)


def _cosine(a: dict, b: dict) -> float:
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def problem_links(
    doc: Document, tokenizer: Tokenizer, ratio: float = 0.75, floor: float = 0.1
) -> dict[str, list[str]]:
    """{problem section path: [countermeasure section paths, best first]}.

    Besides the best match of the whole section, each paragraph adds its own
    best match, so a problem about 人才 and 金融 reaches both countermeasures."""
    problems, measures = leaves(doc, "problem"), leaves(doc, "countermeasure")
    if not problems or not measures:
        return {}
    texts = {s.path: _terms(tokenizer, s.title, doc.text[s.body_start : s.end]) for s in measures}
    paragraphs: dict[str, list[Counter]] = {}
    for p in problems:
        body = doc.text[p.body_start : p.end]
        texts[p.path] = _terms(tokenizer, p.title, body)
        paragraphs[p.path] = [
            _terms(tokenizer, "", para) for para in body.split("\n\n") if len(para) >= 40
        ]
    df = Counter(t for v in texts.values() for t in v)
    n = len(texts)
    common = {t for t, d in df.items() if d > n / 2}
    texts = {k: Counter({t: c for t, c in v.items() if t not in common}) for k, v in texts.items()}
    paragraphs = {
        k: [Counter({t: c for t, c in v.items() if t not in common}) for v in vs]
        for k, vs in paragraphs.items()
    }

    def weigh(v: Counter) -> dict[str, float]:
        return {t: c * math.log(1 + n / df[t]) for t, c in v.items() if t in df}

    measure_vecs = {m.path: weigh(texts[m.path]) for m in measures}

    def ranked(vec: dict) -> list[tuple[float, str]]:
        return sorted(((_cosine(vec, mv), path) for path, mv in measure_vecs.items()), reverse=True)

    links = {}
    for p in problems:
        scored = ranked(weigh(texts[p.path]))
        best = scored[0][0]
        chosen = [path for score, path in scored if score > 0 and score >= ratio * best]
        for para in paragraphs[p.path]:
            score, path = ranked(weigh(para))[0]
            if score >= floor and path not in chosen:
                chosen.append(path)
        links[p.path] = chosen
    return links
