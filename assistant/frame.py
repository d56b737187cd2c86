"""What a question asks, read from its wording: the kind of answer, the figure
it wants, and every constraint a supporting sentence must satisfy (years,
places, the measure, a named document, article or table).

Domain knowledge (places, measures, role words) comes from the `Profile`;
the documents a question may name come from the index.

>>> frame = analyze("2024年成渝地区汽车产量是多少？", profile, documents)
>>> frame.years, frame.measure, frame.measure_nouns
({2024}, 'output', ('产量', '年产量'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policyqa.profile import Profile

from .figures import cn_number, unit_kind, years_in

DOC_KINDS = "条例|办法|规定|方案|规划|意见|通知|纲要|决定|细则|法|标准|指南|计划|论文"
_ARTICLE = re.compile(r"第\s*([0-9]+|[零〇一二两三四五六七八九十百千]+)\s*条")
_TABLE = re.compile(r"表\s*([0-9]+)")
_QUOTED = re.compile(r"《([^》]{2,60})》")
_PLACE_PREFIX = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,9}?(?:省|市|自治区|特别行政区|地区双城经济圈|地区|区|县))"
)
# a list asked for by the kind of item a document enumerates (哪些问题, 几项任务, 哪些义务);
# 哪些企业 or 哪些平台 asks for names a sentence gives, 几个工作日 for a number
ITEMS = (
    "方面|问题|对策|建议|措施|举措|做法|任务|成效|进展|挑战|困难|短板|不足|表现|情形|行为"
    "|要求|职权|职责|事项|义务|权利|条件"
)
LIST = re.compile(
    rf"(哪些|哪几[个条项点类种]?|哪[一二三四五六七八九十两]?[个条项点类种])(?:{ITEMS}|工作|情况|产品|内容)"
    rf"|几[个条项点类种](?:{ITEMS})"
    r"|[一二三四五六七八九十两]个方面|包括哪些|(存在|提出|采取|面临|禁止|规定|列举)了?哪些|哪几点|列一下|列出|全部列"
)
COUNTER = re.compile(
    r"对策|建议|措施|举措|办法|怎么办|咋办|咋整|怎么整|出路|路径|有啥招|有什么招|该怎么|应该怎么|应当如何"
    r"|(?:如何|怎样|怎么|能怎么)(?:才能)?(?:解决|应对|破解|改善|提升|推进|推动|促进|加强|补|协调|做|办|搞|弄|改|推)"
)
PROBLEM = re.compile(r"问题|困难|挑战|短板|不足|瓶颈|难点|制约|障碍|薄弱|短处|差距|为什么|原因")
STATUS = re.compile(r"现状|成效|进展|成果|成绩|情况|做得怎么样|搞得怎么样")
ORDINAL = re.compile(r"第[一二三四五六七八九十百零〇两\d]+[次届批期轮]")
WHICH_DOCUMENT = re.compile(
    r"哪部|哪一部|哪个(?:条例|文件|法规|规定|办法|方案)|什么(?:条例|文件|法规)|哪些(?:条例|文件|法规)"
)
ASKS_OTHER = re.compile(r"哪些|什么(?!时候|时间)|为什么|为何|如何|怎样|怎么(?!样)|原因|措施|办法")
HOW_MUCH = re.compile(r"第几|老几|多少|几[个家辆台万亿项条天日成]|多大|多高|多快|多长")
EXTREME = re.compile(r"最(高|低|大|小|多|少)|排第一|第一名|垫底")
COMPARE = re.compile(
    r"相比|对比|比较|哪个(?:更|大|高|多|少|低)|谁(?:更|大|高|多)|差距|差多少|分别|各是|各自|各有|和.{1,12}(?:比|相比)"
)


@dataclass(frozen=True)
class Frame:
    text: str
    kind: str  # article | list | countermeasure | problem | status | fact
    number: bool  # asks for a figure
    measure: str = ""  # share | growth | money | output | count | rank | date | duration
    measure_nouns: tuple[str, ...] = ()  # the measure named, with its equivalents
    years: frozenset[int] = frozenset()
    places: tuple[str, ...] = ()  # places named other than the home region
    home: bool = False  # names the home region
    documents: tuple[str, ...] = ()  # ids of indexed documents the question names
    missing: str = ""  # title of an expected-but-missing document it names
    article: int | None = None
    table: str = ""  # "表2"
    extreme: str = ""  # "max" | "min"
    classifier: str = ""  # what 多少家 / 几辆 counts in: 家, 辆
    kinds: tuple[str, ...] = ()  # kinds of figure that answer any measure asked
    measures: tuple[str, ...] = ()  # every measure asked (a two-part question asks two)
    industries: tuple[str, ...] = ()  # industries named (a profile's), as the question words them
    subject: str = ""  # what a figure must be about, when a comparison narrows the question
    which_document: bool = False  # asks which document says something
    ordinals: tuple[str, ...] = ()  # 第五次, 第三届: the sentence must name the same one
    compare: bool = False
    figures_asked: int = 0  # 多少家…多少人: how many figures the question asks for
    asked: tuple[str, ...] = ()  # what 什么/哪些 asks for (什么条件): an answer must give it
    entities: tuple[str, ...] = field(default=())  # what a comparison compares

    @property
    def role(self) -> str | None:
        return {"countermeasure": "countermeasure", "problem": "problem", "status": "status"}.get(
            self.kind
        )


def analyze(
    text: str, profile: Profile, titles: dict[str, str], missing: tuple[str, ...] = ()
) -> Frame:
    """`titles`: indexed document id -> title; `missing`: titles of expected documents
    the corpus lacks."""
    article = _article(text)
    documents = named_documents(text, titles)
    missing_title = next((t for t in missing if names_document(text, t)), "")
    places = tuple(p for p in profile.regions.named_in(text) if not _inside_title(p, text, titles))
    home = profile.regions.is_home(text)
    if len(places) >= 2 and set(places) <= set(profile.regions.parts) and not COMPARE.search(text):
        places, home = (), True  # 成都重庆这一片: the home region's parts together are the region
    measure, nouns = _measure(text, profile)
    classifiers = {m.group(1) for m in _HOW_MANY.finditer(text)}
    counted = _HOW_MANY.search(text) if len(classifiers) == 1 else None
    years = frozenset(years_in(text))
    extreme = EXTREME.search(text)
    several = len(places) >= 2 or len(years) >= 2
    number_each = several and bool(re.search(r"多少|几", text)) and not LIST.search(text)
    compare = bool(COMPARE.search(text)) or number_each
    # 《…办法》 names a document; its words do not say what is asked
    kind = _kind(_without_names(text, titles), article)
    # 配套率是多少 asks for a figure; 通过哪些活动提升配套率 does not
    number = bool(extreme or HOW_MUCH.search(text)) or bool(measure and not ASKS_OTHER.search(text))
    table = _TABLE.search(text)
    measures = _measures(text, profile, measure)
    if len(HOW_MUCH.findall(text)) <= 1:  # one 多少 asks for one figure (能造多少辆: an output)
        measures = measures[:1]
    return Frame(
        text=text,
        kind=kind,
        number=number and kind not in ("article", "list"),
        measure=measure,
        measure_nouns=nouns,
        years=years,
        places=places,
        home=home,
        documents=documents,
        missing=missing_title,
        article=article,
        table=f"表{table.group(1)}" if table else "",
        extreme=("max" if extreme.group(0)[-1] in "高大多一" else "min") if extreme else "",
        classifier=counted.group(1) if counted and counted.group(1) != "个" else "",
        kinds=_kinds_of(measures, profile),
        measures=measures,
        industries=_industries(text, profile),
        which_document=bool(WHICH_DOCUMENT.search(text)),
        ordinals=tuple(ORDINAL.findall(text)),
        compare=compare,
        figures_asked=len(HOW_MUCH.findall(text)),
        # a question that also asks for a figure is answered by the figure's sentence
        asked=() if HOW_MUCH.search(text) else _asked(text, profile),
        entities=_entities(places, years),
    )


def _entities(places: tuple[str, ...], years: frozenset[int]) -> tuple[str, ...]:
    """The things a comparison sets side by side: two or more places, else years."""
    if len(places) >= 2:
        return places
    return tuple(str(y) for y in sorted(years)) if len(years) >= 2 else ()


def _kind(text: str, article: int | None) -> str:
    # a question naming 第N条 asks what it says (its items included), unless it asks for
    # a figure or a date in it, or names it as the rule broken (违反本条例第十三条的，…)
    if (
        article is not None
        and not HOW_MUCH.search(text)
        and not re.search(r"什么时候|何时|哪天|日期", text)
        and not re.search(
            r"(违反|依照|依据|根据|按照|适用)[^，,。？?]{0,12}第\s*\S{1,5}\s*条", text
        )
    ):
        return "list" if LIST.search(text) else "article"  # 第十九条规定哪些产品: its items
    if LIST.search(text):
        return "list"
    if COUNTER.search(text):
        return "countermeasure"
    if PROBLEM.search(text):
        return "problem"
    if STATUS.search(text):
        return "status"
    return "fact"


_ASKED = re.compile(r"(?:什么|啥子?|哪些|哪种|哪类|何种)([\u4e00-\u9fff]{2,4})")


def _asked(text: str, profile: Profile) -> tuple[str, ...]:
    """The thing a question asks for by name (要满足啥子条件: 条件). Section roles (什么问题,
    哪些对策) are found by structure, not named in the answer, so they are not asked."""
    role_words = {w for _, words in profile.roles for w in words}
    out = []
    for m in _ASKED.finditer(text):
        head = m.group(1)
        if not any(head.startswith(w) for w in role_words | profile.question_words):
            out.append(head)
    return tuple(out)


def _without_names(text: str, titles: dict[str, str]) -> str:
    text = _QUOTED.sub(" ", text)
    for title in titles.values():
        text = text.replace(title, " ").replace(core_title(title), " ")
    return text


def _article(text: str) -> int | None:
    m = _ARTICLE.search(text)
    if not m:
        return None
    n = m.group(1)
    return int(n) if n.isdigit() else cn_number(n)


_HOW_MANY = re.compile(
    r"(?:多少|几|好多|好几)\s*(?:万|亿|千|百)?\s*(辆|台|套|吨|家|个|项|所|件|人|名|位|元|天|日|个月|年)"
)


def _measure(text: str, profile: Profile) -> tuple[str, tuple[str, ...]]:
    measure = ""
    best = 0
    for name, phrases in profile.measures.items():
        for p in phrases:
            if p in text and len(p) > best:
                measure, best = name, len(p)
    counted = _HOW_MANY.search(text)
    if counted and measure in ("", "count", "output"):
        # "多少万台", "好多台车": the classifier says what is counted
        kind = unit_kind(counted.group(1))
        measure = kind if kind in profile.measure_kinds else measure
    # of two measures named (汽车产量的增速), the one named last is asked; the other says
    # what it is of
    named = [
        (max(text.rfind(n) for n in g), g)
        for g in profile.measure_nouns
        if any(n in text for n in g)
    ]
    nouns = max(named, key=lambda x: x[0])[1] if named else ()
    return measure, nouns


def _industries(text: str, profile: Profile) -> tuple[str, ...]:
    """Each industry the question names, by the first of its words it uses."""
    out = []
    for ind in profile.industries:
        word = next((w for w in sorted(ind.words, key=len, reverse=True) if w in text), "")
        if word:
            out.append(word)
    return tuple(out)


def _measures(text: str, profile: Profile, measure: str) -> tuple[str, ...]:
    """Every measure the question asks for ("几个人？能占多少？": count, share)."""
    matched = {p for ps in profile.measures.values() for p in ps if p in text}
    # 几个点 asks for a share: its 几个 does not ask for a count as well
    matched = {p for p in matched if not any(p != q and p in q for q in matched)}
    names = [measure] + [n for n, ps in profile.measures.items() if matched & set(ps)]
    return tuple(dict.fromkeys(n for n in names if n))


def _kinds_of(measures: tuple[str, ...], profile: Profile) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for n in measures for k in profile.measure_kinds.get(n, ())))


def measure_phrases(profile: Profile) -> set[str]:
    return {p for ps in profile.measures.values() for p in ps}


def core_title(title: str) -> str:
    """A title without the place it starts with: 重庆市产品质量条例 -> 产品质量条例."""
    core = _PLACE_PREFIX.sub("", title)
    return core if len(core) >= 4 else title


def names_document(text: str, title: str) -> bool:
    """The question names the document: its title, its title without the place, in
    《》 or not, or a shortened name ending like it (专利条例 for 专利促进与保护条例)."""
    core = core_title(title)
    if title in text or core in text:
        return True
    for q in _QUOTED.findall(text):
        if q in title or core_title(q) in title:
            return True
    kind = re.search(rf"({DOC_KINDS})$", core)
    if not kind:
        return False
    for m in re.finditer(kind.group(1), text):
        for i in range(max(0, m.start() - 12), m.start() - 1):
            short = text[i : m.start()]
            if short[0] == core[0] and _subsequence(short, core[: -len(kind.group(1))]):
                return True  # 专利条例, 招投标条例
    return False


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def named_documents(text: str, titles: dict[str, str]) -> tuple[str, ...]:
    return tuple(doc_id for doc_id, title in titles.items() if names_document(text, title))


def _inside_title(place: str, text: str, titles: dict[str, str]) -> bool:
    """重庆 in 重庆市产品质量条例 names the document, not a place the answer must name."""
    return any(place in t and t in text or place in core_title(t) for t in titles.values())
