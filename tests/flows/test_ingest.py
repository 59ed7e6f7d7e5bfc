"""flows.ingest: encodings, HTML/DOCX/PDF text, error codes. Fixtures are generated in tmp_path."""
from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from policyflow.flows.bench_hostile import pdf_from_objects
from policyflow.flows.ingest import Ingested, iter_sources, read_document
from policyflow.schemas.errors import IngestError

TITLE = "关于加快推进科技创新的实施意见"
BODY = f"{TITLE}\n第一条 为深入实施创新驱动发展战略，制定本意见。\n第二条 对新认定的高新技术企业给予30万元奖励。\n"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def error_code(path: Path, **kwargs) -> str:
    with pytest.raises(IngestError) as info:
        read_document(path, **kwargs)
    assert info.value.stage == "ingest"
    assert info.value.path == str(path)
    assert info.value.message
    return info.value.code


def png_bytes() -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(48)) for y in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document>" + "政策" * 200 + "</w:document>")
        zf.writestr("readme.txt", "hello")
    return buf.getvalue()


def make_pdf(content: bytes, fonts: list[bytes] = ()) -> bytes:
    """A one-page PDF with a correct xref table; `fonts[0]` is /F1, further objects follow it."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
            + (b"/Font << /F1 5 0 R >> " if fonts else b"") + b">> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream", *fonts]
    return pdf_from_objects(objs)


HELVETICA = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
STSONG = [  # non-embedded CID font with the predefined UCS-2 CMap: text shown as UTF-16BE hex
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
    b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo"
    b" << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>",
    b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
    b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
]

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>关于加快推进科技创新的实施意见_XX市人民政府</title>
<script>var menu = "SCRIPTTEXT";</script><style>.x {{ color: red }}</style></head>
<body>
<div class="header"><h1 class="logo">XX市人民政府门户网站</h1><form><input name="q">搜索SEARCHTEXT</form></div>
<div id="nav"><ul><li><a href="/">首页</a></li><li>政务公开</li><li>NAVTEXT</li></ul></div>
<div class="breadcrumb">当前位置：首页 &gt; 政策文件 BREADCRUMBTEXT</div>
<div class="xxgk_table"><table>
<tr><td><b>索 引 号：</b></td><td>11370100MB28544/2024-00012</td><td>主题分类：</td><td>科技、教育\\科技</td></tr>
<tr><td>发文机关：</td><td> XX市人民政府办公厅 </td><td>成文日期：</td><td>2024年03月01日</td></tr>
<tr><td>标　　题：</td><td colspan="3">{title}</td></tr>
<tr><td>发文字号：</td><td>X政办发〔2024〕5号</td><td>发布日期：</td><td>2024年03月05日</td></tr>
</table></div>
<div class="main">
<h2 class="article-title">{title}</h2>
<div class="share">分享到：微信 微博 SHARETEXT</div>
<div class="TRS_Editor" id="zoom">
<p>各区县人民政府，市政府各部门：</p>
<p>&nbsp;&nbsp;为深入实施创新驱动发展战略，
现提出如下意见。</p>
<p>一、对新认定的高新技术企业给予<strong>30万元</strong>奖励。</p>
<table border="1"><tr><th>序号</th><th>项目</th><th>支持标准</th></tr>
<tr><td>1</td><td>高新技术企业</td><td><p>30万元</p></td></tr></table>
<p>XX市人民政府办公厅<br>2024年3月1日</p>
</div></div>
<div class="footer"><p>版权所有：XX市人民政府 FOOTERTEXT</p></div>
<script>document.write("SCRIPT2")</script>
</body></html>
""".format(title=TITLE)


@pytest.mark.parametrize("data, encoding", [
    pytest.param(BODY.encode("utf-8"), "utf-8", id="utf-8"),
    pytest.param(BODY.encode("utf-8-sig"), "utf-8", id="utf-8-bom"),
    pytest.param(BODY.encode("gb18030"), "gb18030", id="gb18030"),
    pytest.param(BODY.encode("gbk"), "gb18030", id="gbk"),
    pytest.param(TITLE.encode("gb18030"), "gb18030", id="gb18030-title-only"),
    pytest.param(b"\xff\xfe" + BODY.encode("utf-16-le"), "utf-16", id="utf-16-le-bom"),
    pytest.param(b"\xfe\xff" + BODY.encode("utf-16-be"), "utf-16", id="utf-16-be-bom"),
    pytest.param(BODY.encode("utf-16-le"), "utf-16", id="utf-16-le-no-bom"),
    pytest.param(BODY.encode("utf-16-be"), "utf-16", id="utf-16-be-no-bom"),
    pytest.param((TITLE + "。").encode("utf-16-le"), "utf-16", id="utf-16-le-no-bom-no-ascii"),
])
def test_ingest_text_encoding_detected(tmp_path, data, encoding):
    text = BODY if len(data) > 60 else data.decode(encoding if encoding != "utf-16" else "utf-16-le")
    ing = read_document(write(tmp_path, "doc.txt", data))
    assert ing.text == text.lstrip("\ufeff")
    assert ing.encoding == encoding
    assert ing.format == "text"
    assert ing.warnings == []


def test_ingest_text_fields(tmp_path):
    data = BODY.encode("gb18030")
    ing = read_document(write(tmp_path, "doc.text", data))
    assert isinstance(ing, Ingested)
    assert (ing.filename, ing.format, ing.size_bytes) == ("doc.text", "text", len(data))
    assert ing.sha256 == hashlib.sha256(data).hexdigest()
    assert ing.portal == {}


@pytest.mark.parametrize("text", [
    "第一条\r\n第二条\r\n\r\n  缩进行  \r\n",
    "\n\n  首尾空白与\t制表符\u3000\n\n",
    "老式换行\r第二行\r",
])
def test_ingest_text_kept_exactly(tmp_path, text):
    assert read_document(write(tmp_path, "doc.txt", text)).text == text


def test_ingest_truncated_utf8_warns_w005(tmp_path):
    data = BODY.rstrip("\n").encode("utf-8")[:-1]
    ing = read_document(write(tmp_path, "cut.txt", data))
    assert ing.encoding == "utf-8"
    assert ing.text == BODY.rstrip("\n")[:-1] + "\ufffd"
    assert [w["code"] for w in ing.warnings] == ["W005"]
    assert set(ing.warnings[0]) == {"code", "message"}


def test_ingest_stray_bad_byte_in_long_utf8_warns_w005(tmp_path):
    data = (BODY * 20).encode("utf-8")
    cut = data.index(b"\n", 100) + 1
    data = data[:cut] + b"\xff" + data[cut:]
    ing = read_document(write(tmp_path, "bad.txt", data))
    assert ing.encoding == "utf-8"
    assert ing.text.count("\ufffd") == 1
    assert [w["code"] for w in ing.warnings] == ["W005"]


@pytest.mark.parametrize("name, data", [
    ("image.txt", png_bytes()),
    ("archive.txt", zip_bytes()),
    ("nul.txt", b"\x00" * 512),
    ("nul-mixed.txt", b"\x00\x01\x02\x03abc\x00\x00\x10\x11" * 50),
    ("random.txt", bytes((i * 131 + 7) % 256 for i in range(4096))),
])
def test_ingest_binary_is_undecodable_e002(tmp_path, name, data):
    assert error_code(write(tmp_path, name, data)) == "E002"


@pytest.mark.parametrize("name, data", [
    ("empty.txt", b""),
    ("blank.txt", " \r\n\t\u3000\n".encode("utf-8")),
    ("bom-only.txt", b"\xef\xbb\xbf"),
    ("blank16.txt", b"\xff\xfe" + " \n ".encode("utf-16-le")),
    ("empty.html", b""),
    ("blank.html", b"  \n "),
    ("empty.docx", b""),
    ("empty.pdf", b""),
])
def test_ingest_empty_or_blank_is_e007(tmp_path, name, data):
    assert error_code(write(tmp_path, name, data)) == "E007"


@pytest.mark.parametrize("name", ["doc.rtf", "doc.doc", "README", "page.xml"])
def test_ingest_unknown_suffix_is_e003(tmp_path, name):
    assert error_code(write(tmp_path, name, BODY)) == "E003"


def test_ingest_suffix_is_case_insensitive(tmp_path):
    assert read_document(write(tmp_path, "DOC.TXT", BODY)).format == "text"


def test_ingest_missing_file_is_e001(tmp_path):
    assert error_code(tmp_path / "missing.txt") == "E001"


def test_ingest_directory_is_e001(tmp_path):
    (tmp_path / "folder.txt").mkdir()
    assert error_code(tmp_path / "folder.txt") == "E001"


def test_ingest_over_max_bytes_is_e011(tmp_path):
    path = write(tmp_path, "big.txt", BODY)
    assert error_code(path, max_bytes=10) == "E011"
    assert read_document(path, max_bytes=len(BODY.encode("utf-8"))).text == BODY


def test_ingest_gov_page_keeps_article_drops_chrome(tmp_path):
    ing = read_document(write(tmp_path, "page.html", GOV_PAGE))
    assert ing.format == "html" and ing.encoding == "utf-8"
    for noise in ("SCRIPTTEXT", "SCRIPT2", "NAVTEXT", "BREADCRUMBTEXT", "FOOTERTEXT", "SHARETEXT",
                  "SEARCHTEXT", "门户网站", "color", "首页", "_XX市人民政府"):
        assert noise not in ing.text
    lines = ing.text.split("\n")
    assert lines[0] == TITLE
    assert "各区县人民政府，市政府各部门：" in lines
    assert "为深入实施创新驱动发展战略，现提出如下意见。" in lines
    assert "一、对新认定的高新技术企业给予30万元奖励。" in lines
    assert "序号｜项目｜支持标准" in lines
    assert "1｜高新技术企业｜30万元" in lines
    assert lines[-2:] == ["XX市人民政府办公厅", "2024年3月1日"]
    assert all(line == line.rstrip() for line in lines)
    assert "\n\n\n\n" not in ing.text


def test_ingest_gov_page_portal_table_read_not_in_text(tmp_path):
    ing = read_document(write(tmp_path, "page.html", GOV_PAGE))
    assert ing.portal == {
        "索引号": "11370100MB28544/2024-00012",
        "主题分类": "科技、教育\\科技",
        "发文机关": "XX市人民政府办公厅",
        "成文日期": "2024年03月01日",
        "标题": TITLE,
        "发文字号": "X政办发〔2024〕5号",
        "发布日期": "2024年03月05日",
    }
    for leaked in ("索引号", "11370100MB28544", "发文字号", "X政办发", "2024年03月05日", "主题分类"):
        assert leaked not in ing.text
    assert ing.text.count(TITLE) == 1


@pytest.mark.parametrize("block, expected", [
    pytest.param('<ul class="info"><li><span>发文机关：</span><span>科技部</span></li>'
                 '<li><span>发布日期：</span>2024-01-02</li><li>索引号：000014349/2024-00034</li></ul>',
                 {"发文机关": "科技部", "发布日期": "2024-01-02", "索引号": "000014349/2024-00034"}, id="list"),
    pytest.param("<p>发文字号：国科发〔2024〕1号　成文日期：2024年1月2日</p>",
                 {"发文字号": "国科发〔2024〕1号", "成文日期": "2024年1月2日"}, id="one-paragraph"),
    pytest.param("<dl><dt>标题</dt><dd>关于开展试点的通知</dd><dt>发文机关</dt><dd>科技部</dd></dl>",
                 {"标题": "关于开展试点的通知", "发文机关": "科技部"}, id="dl"),
])
def test_ingest_portal_layouts(tmp_path, block, expected):
    page = f"<html><body>{block}<div class='content'><p>{BODY}</p></div></body></html>"
    ing = read_document(write(tmp_path, "page.html", page))
    assert ing.portal == expected
    for value in expected.values():
        assert value not in ing.text
    assert "第一条 为深入实施创新驱动发展战略" in ing.text


def test_ingest_html_without_container_uses_body(tmp_path):
    page = ("<html><body><div id='menu'>MENUTEXT</div><h1>科技部关于开展试点工作的通知</h1>"
            "<p>第一段。</p><div>第二段<br>第三段</div><footer>FOOT</footer></body></html>")
    ing = read_document(write(tmp_path, "page.html", page))
    assert ing.text == "科技部关于开展试点工作的通知\n第一段。\n第二段\n第三段"


def test_ingest_html_title_before_container_is_prepended(tmp_path):
    page = ("<html><body><div class='bt'><h1>科技部关于开展试点工作的通知</h1></div>"
            "<div class='sidebar'><h2>热点新闻排行榜</h2></div>"
            "<div id='content'><p>" + "各单位：现将有关事项通知如下。" * 3 + "</p></div></body></html>")
    ing = read_document(write(tmp_path, "page.html", page))
    assert ing.text.split("\n")[0] == "科技部关于开展试点工作的通知"
    assert "热点新闻" not in ing.text


@pytest.mark.parametrize("chrome, expected_first", [
    pytest.param("<div class='header'><h1>XX市科学技术局网站</h1></div>", "第一条 正文内容。",
                 id="site-header-not-a-title"),
    pytest.param("<div class='header'><h1>XX市科学技术局网站</h1></div>"
                 "<div class='article-header'><h1>关于开展试点工作的通知</h1></div>",
                 "关于开展试点工作的通知", id="article-header-before-container"),
    pytest.param("<article><header><h1>关于开展试点工作的通知</h1></header>", "关于开展试点工作的通知",
                 id="html5-article-header"),
])
def test_ingest_html_title_choice(tmp_path, chrome, expected_first):
    closing = "</article>" if "<article>" in chrome else ""
    page = f"<html><body>{chrome}<div class='content'><p>第一条 正文内容。</p></div>{closing}</body></html>"
    ing = read_document(write(tmp_path, "page.html", page))
    assert ing.text.split("\n")[0] == expected_first
    assert "网站" not in ing.text


def test_ingest_html_label_leading_the_article_keeps_article(tmp_path):
    page = ("<html><body><div class='content'>标题：关于开展试点工作的通知"
            "<p>第一条 正文内容。</p><p>第二条 其他内容。</p></div></body></html>")
    ing = read_document(write(tmp_path, "page.html", page))
    assert ing.portal == {"标题": "关于开展试点工作的通知"}
    assert "第一条 正文内容。\n第二条 其他内容。" in ing.text


def test_ingest_html_layout_table_keeps_blocks(tmp_path):
    cell = "".join(f"<p>第{i}段内容。</p>" for i in range(1, 9))
    page = f"<html><body><table><tr><td>栏目</td><td>{cell}</td></tr></table></body></html>"
    ing = read_document(write(tmp_path, "page.html", page))
    assert "第1段内容。\n第2段内容。" in ing.text
    assert "｜" not in ing.text


def test_ingest_html_page_wrapped_in_form(tmp_path):
    page = ("<html><body><form id='form1'><div class='nav'>NAVTEXT</div>"
            "<div class='article'><p>第一条 内容。</p></div></form></body></html>")
    ing = read_document(write(tmp_path, "page.aspx.html", page))
    assert ing.text == "第一条 内容。"


@pytest.mark.parametrize("meta", [
    '<meta charset="gb2312">',
    '<meta http-equiv="Content-Type" content="text/html; charset=GBK">',
    '<?xml version="1.0" encoding="gb2312"?><meta name="x">',
])
def test_ingest_html_declared_gb_charset(tmp_path, meta):
    page = f"{meta}<html><body><div class='content'><p>{TITLE}</p><p>第一条</p></div></body></html>"
    ing = read_document(write(tmp_path, "page.html", page.encode("gb18030")))
    assert ing.encoding == "gb18030"
    assert ing.text == f"{TITLE}\n第一条"


@pytest.mark.parametrize("meta, data_encoding, expected", [
    ('<meta charset="utf-8">', "gb18030", "gb18030"),
    ('<meta charset="gb2312">', "utf-8", "utf-8"),
    ('<meta charset="no-such-charset">', "gb18030", "gb18030"),
    ('<meta charset="utf-16">', "utf-8", "utf-8"),
])
def test_ingest_html_misleading_charset_still_decodes(tmp_path, meta, data_encoding, expected):
    page = f"<html><head>{meta}</head><body><p>{TITLE}</p><p>对企业给予30万元奖励。</p></body></html>"
    ing = read_document(write(tmp_path, "page.htm", page.encode(data_encoding)))
    assert ing.encoding == expected
    assert ing.text == f"{TITLE}\n对企业给予30万元奖励。"


def test_ingest_html_bom_wins_over_meta(tmp_path):
    page = f'<meta charset="gb2312"><p>{TITLE}</p>'
    ing = read_document(write(tmp_path, "page.html", b"\xff\xfe" + page.encode("utf-16-le")))
    assert (ing.encoding, ing.text) == ("utf-16", TITLE)


def test_ingest_html_without_body_warns_w007(tmp_path):
    ing = read_document(write(tmp_path, "frag.html", f"<h1>{TITLE}</h1><p>第一条 内容。</p>"))
    assert ing.text == f"{TITLE}\n第一条 内容。"
    assert [w["code"] for w in ing.warnings] == ["W007"]


@pytest.mark.parametrize("page", [
    "<html><body><script>var a = 1;</script></body></html>",
    "<html><body><div class='footer'>版权所有</div><nav>首页</nav></body></html>",
    "<!-- only a comment -->",
])
def test_ingest_html_without_visible_text_is_e007(tmp_path, page):
    assert error_code(write(tmp_path, "page.html", page)) == "E007"


def test_ingest_html_binary_is_e002(tmp_path):
    assert error_code(write(tmp_path, "page.html", png_bytes())) == "E002"


def test_ingest_docx_paragraphs_and_table_in_order(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph("第一条 支持标准如下：")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([("序号", "项目", "支持标准"), ("1", "高新技术企业", "30万元")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "备注"
    document.add_paragraph("第二条 本意见自发布之日起施行。")
    path = tmp_path / "意见.docx"
    document.save(path)
    ing = read_document(path)
    assert ing.format == "docx" and ing.encoding is None
    assert ing.text == (f"{TITLE}\n第一条 支持标准如下：\n序号｜项目｜支持标准\n1｜高新技术企业｜30万元\n"
                        "合并单元格｜备注\n第二条 本意见自发布之日起施行。")


@pytest.mark.parametrize("data", [BODY.encode("utf-8"), png_bytes(), zip_bytes()])
def test_ingest_docx_not_a_docx_is_e004(tmp_path, data):
    path = write(tmp_path, "fake.docx", data)
    with pytest.raises(IngestError) as info:
        read_document(path)
    assert info.value.code == "E004"
    assert info.value.context["cause"]


@pytest.mark.parametrize("content, fonts, expected", [
    pytest.param(b"BT /F1 12 Tf 72 720 Td (Science and Technology Policy 2024) Tj ET", HELVETICA,
                 "Science and Technology Policy 2024", id="type1-ascii"),
    pytest.param(b"BT /F1 12 Tf 72 720 Td <" + TITLE.encode("utf-16-be").hex().upper().encode() + b"> Tj ET",
                 STSONG, TITLE, id="cid-chinese"),
])
def test_ingest_pdf_text_layer(tmp_path, content, fonts, expected):
    ing = read_document(write(tmp_path, "doc.pdf", make_pdf(content, fonts)))
    assert ing.format == "pdf" and ing.encoding is None
    assert ing.text.strip() == expected


def test_ingest_pdf_without_text_layer_is_e006(tmp_path):
    assert error_code(write(tmp_path, "scan.pdf", make_pdf(b"0 0 m 100 100 l S"))) == "E006"


@pytest.mark.parametrize("data", [png_bytes(), b"%PDF-1.4\n garbage", BODY.encode("utf-8")])
def test_ingest_pdf_garbage_is_e005(tmp_path, data):
    assert error_code(write(tmp_path, "broken.pdf", data)) == "E005"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_ingest_symlink_outside_root_is_e008(tmp_path):
    root, outside = tmp_path / "in", tmp_path / "out"
    root.mkdir()
    outside.mkdir()
    secret = write(outside, "secret.txt", BODY)
    link = root / "link.txt"
    link.symlink_to(secret)
    write(root, "real.txt", BODY)
    (root / "inner.txt").symlink_to(root / "real.txt")
    assert error_code(link, root=root) == "E008"
    assert read_document(link).text == BODY
    assert read_document(root / "inner.txt", root=root).text == BODY


def test_ingest_filename_with_spaces_and_unicode(tmp_path):
    path = write(tmp_path, "关于 科技 创新 (2024) 意见.txt", BODY)
    ing = read_document(path)
    assert ing.filename == "关于 科技 创新 (2024) 意见.txt"
    assert ing.path == path
    assert ing.text == BODY


def test_ingest_iter_sources_expands_folders_skips_hidden(tmp_path):
    for rel in ("b.txt", "a.html", "sub/c.docx", "sub/deeper/d.xyz", ".hidden.txt", ".git/e.txt",
                "sub/.cache/f.txt", "~$lock.docx"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        write(tmp_path, rel, BODY)
    single = write(tmp_path.parent, f"{tmp_path.name}-single.txt", BODY)
    found = iter_sources([tmp_path, single, tmp_path / "b.txt", tmp_path])
    expected = sorted([tmp_path / "a.html", tmp_path / "b.txt", tmp_path / "sub/c.docx",
                       tmp_path / "sub/deeper/d.xyz", single])
    assert found == expected
    assert iter_sources([]) == []
