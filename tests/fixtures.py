"""Small Chinese documents generated on the fly, so tests need no checked-in binaries.

Every generator writes a real file in the real format (fpdf2 for PDF,
python-docx for DOCX), so loaders are tested against what users will feed them.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from fpdf import FPDF

from policyqa import documents
from policyqa.documents import Chunk
from policyqa.index.chunkstore import ChunkStore
from policyqa.index.manifest import Manifest
from policyqa.index.manifest import read_manifest as read_manifest_in
from policyqa.ingest.chunker import chunk_document
from policyqa.ingest.clean import clean
from policyqa.ingest.structure import parse_sections, parse_tables
from policyqa.profile import load_profile

# the shipped corpus's own profile: its region and industries
PAPER_PROFILE = load_profile(Path(__file__).resolve().parent.parent / "corpus" / "profile.toml")

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SYNTHETIC_LABEL = "【合成测试文档，非真实政策文本】"

SYNTHETIC_PLAN = f"""{SYNTHETIC_LABEL}
某市推动制造业集群高质量发展实施方案（示例）

第一章 总则

第一条 为加快电子信息、汽车、装备制造三大产业集群建设，提升产业链供应链韧性，结合本市实际，制定本方案。
第二条 本方案适用于全市范围内的制造业企业、产业园区及相关服务机构。

第二章 发展现状与存在的问题

一、发展现状
（一）产业规模稳步扩大。电子信息产业营业收入连续三年保持两位数增长，汽车产业整车产能达到一定规模，装备制造产业形成若干特色园区。
（二）创新能力有所提升。重点企业研发投入占比逐年提高，一批关键零部件实现本地化生产。
（三）开放合作持续深化。与周边城市共建产业合作园区，汽车和电子信息领域跨区域配套项目逐步增加。

二、存在的问题
（一）产业链关键环节薄弱。
1. 电子信息产业核心芯片、高端显示面板等环节依赖外部供应，本地配套率偏低。
2. 汽车产业动力电池、车规级芯片等关键零部件本地配套不足，整车与零部件企业协同不够紧密。
3. 装备制造产业高端数控系统、精密轴承等基础件自给能力较弱。
（二）要素保障不够充分。
1. 高技能人才和复合型工程师缺口较大。
2. 工业用地供给和中小企业融资渠道有待拓宽。
（三）区域协同有待加强。跨区域产业分工不够清晰，园区之间存在同质化竞争。

第三章 发展目标

第三条 到规划期末，三大产业集群规模明显扩大，产业链关键环节本地配套能力显著增强。
一、总体目标
（一）电子信息产业形成从设计、制造到应用的较完整链条。
（二）汽车产业本地配套率稳步提高，新能源和智能网联汽车占比持续上升。
（三）装备制造产业培育一批专精特新企业，首台（套）装备推广应用取得突破。
二、具体指标
1. 规模以上工业企业研发经费投入强度逐年提高。
2. 重点产业链关键零部件本地配套率较基期明显提升。
3. 新增国家级、省级创新平台若干个。

第四章 主要措施

一、补齐产业链短板
（一）实施强链补链行动。
1. 围绕电子信息产业，引进芯片设计、封装测试和新型显示项目，推动上下游企业就近配套。
2. 围绕汽车产业，支持整车企业与本地零部件企业签订长期供货协议，重点发展动力电池和智能网联部件。
3. 围绕装备制造产业，建设共性技术平台，开展高端数控系统和关键基础件联合攻关。
（二）建立链长工作机制。
（1）每条重点产业链明确一名牵头负责同志。
（2）按季度梳理产业链断点、堵点清单并协调解决。

二、强化要素保障
（一）加强人才支撑。支持高校与龙头企业共建产业学院，开展订单式培养。
（二）优化金融服务。设立产业发展引导基金，鼓励金融机构开发供应链金融产品。
（三）保障用地需求。优先保障重点项目用地，推广标准厂房和弹性年期供地。
（四）降低企业成本。落实各项减税降费政策，推动物流、用能等要素价格合理下降，减轻中小企业负担。

三、推进区域协同
（一）编制产业协同发展地图，明确各园区主导产业定位。
（二）探索跨区域利益共享机制，推动产业链上下游在区域内合理布局。
（三）共建共享创新资源。推动大型科研仪器和中试平台开放共享，支持企业跨区域组建创新联合体，联合承担重大科技项目。

第五章 保障措施

第四条 各有关部门应当按照职责分工，制定具体落实措施，定期报送工作进展。
第五条 建立年度评估制度，对实施情况开展第三方评估，评估结果作为政策调整的依据。
第六条 本方案自印发之日起施行，有效期五年。
"""


def make_pdf(path: Path, pages: list[str]) -> Path:
    """One PDF page per string, newlines kept as lines, with a real CJK text layer.

    Long lines wrap, and a string longer than a page (about 1,200 characters)
    flows onto extra pages, so keep each string short when page numbers matter.

    The WenQuanYi font ships as a TrueType collection (.ttc); fpdf2 loads
    face 0 of it via `collection_font_number` and embeds a subset, so pypdf
    can map the glyphs back to the Chinese characters.
    """
    if not CJK_FONT.exists():
        raise FileNotFoundError(f"{CJK_FONT} missing: apt-get install fonts-wqy-microhei")
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT), collection_font_number=0)
    pdf.set_font("wqy", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return Path(path)


def make_scanned_pdf(path: Path) -> Path:
    """A page with only vector graphics: what a scan looks like to a text extractor."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(200, 200, 200)
    pdf.rect(20, 20, 170, 250, style="F")
    pdf.output(str(path))
    return Path(path)


def make_docx(path: Path, blocks: list[tuple]) -> Path:
    """Blocks are ("heading", level, text), ("para", text) or ("table", [[cell, ...], ...])."""
    doc = Document()
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            doc.add_heading(block[2], level=block[1])
        elif kind == "para":
            doc.add_paragraph(block[1])
        elif kind == "table":
            rows = block[1]
            table = doc.add_table(rows=len(rows), cols=max(len(row) for row in rows))
            for cells, row in zip(table.rows, rows, strict=True):
                for cell, value in zip(cells.cells, row, strict=False):
                    cell.text = value
        else:
            raise ValueError(f"unknown block kind {kind!r}: use heading, para or table")
    doc.save(str(path))
    return Path(path)


def write_gb18030(path: Path, text: str) -> Path:
    path = Path(path)
    path.write_bytes(text.encode("gb18030"))
    return path


def write_utf16(path: Path, text: str) -> Path:
    """UTF-16 with a BOM, as Windows Notepad saves "Unicode"."""
    path = Path(path)
    path.write_bytes(text.encode("utf-16"))
    return path


def make_html(path: Path, body_html: str, encoding: str = "utf-8") -> Path:
    """A full page whose <script> and <style> hold text a loader must not return."""
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{encoding}">
<title>页面标题不应出现</title>
<style>body {{ font-family: "样式内容不应出现"; }}</style>
<script>var secret = "脚本内容不应出现";</script>
</head>
<body>
<!-- 注释内容不应出现 -->
{body_html}
<script>document.write("正文脚本不应出现");</script>
<noscript>无脚本提示不应出现</noscript>
</body>
</html>
"""
    path = Path(path)
    path.write_bytes(page.encode(encoding))
    return path


def build(text: str, cut, size: int = 200, overlap: int = 1, fmt: str = "txt"):
    """RawDocument -> clean -> structure -> Document -> chunks, as parse_file does,
    for text that never touches the disk. Returns (cleaned, document, chunks)."""
    cleaned = clean(documents.RawDocument("synthetic.txt", text, fmt))
    doc = documents.Document(
        doc_id="synthetic",
        path="synthetic.txt",
        title="synthetic",
        text=cleaned.text,
        original=text,
        content_hash=documents.sha256(text),
        sections=parse_sections(cleaned, PAPER_PROFILE),
    )
    tables = parse_tables(cleaned)
    return cleaned, doc, chunk_document(doc, tables, cut, PAPER_PROFILE, size=size, overlap=overlap)


class Documents:
    """What `policyqa.assistant.compose.verify` reads of an index: documents by id."""

    def __init__(self, *docs: documents.Document) -> None:
        self._docs = {d.doc_id: d for d in docs}

    def document(self, doc_id: str) -> documents.Document | None:
        return self._docs.get(doc_id)


def flat(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def shown_pieces(answer: str, quotes: dict[int, str] | None = None) -> list[tuple[int, str]]:
    """(n, text) for the text shown before each [n]: what its quote must hold verbatim.
    With `quotes` (n -> quote), each piece is the longest end of its segment that the
    quote holds, so what precedes it is a label or a lead (成都：, 共5项：); without, the
    text after the segment's last label or elision."""
    out = []
    for m in re.finditer(r"([^\[\]]*?)\[(\d+)\]", answer):
        n, segment = int(m.group(2)), m.group(1).strip("。；\n ")
        for part in segment.split("……"):
            if quotes is None:
                text = re.split(r"[：；]|^\d+\]", part)[-1]
            else:
                quote = flat(quotes.get(n, ""))
                text = next((part[i:] for i in range(len(part)) if flat(part[i:]) in quote), "")
            if text.strip():
                out.append((n, flat(text)))
    return out


def read_manifest(settings) -> Manifest | None:
    """The live index's manifest under these settings' home."""
    return read_manifest_in(settings.index_dir)


def load_chunks(folder: Path) -> list[Chunk]:
    """Every chunk a generation folder stores, in order."""
    store = ChunkStore(folder)
    try:
        return list(store)
    finally:
        store.close()
