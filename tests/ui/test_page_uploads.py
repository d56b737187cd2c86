"""Issue 15: uploads at both sizes. A disallowed type or an empty file gets
one consistent Chinese message (no Gradio pop-up, no 错误 drop zone, never
"已上传 … 未能加入"); a tab opened before an upload refreshes its document
lists and filters by itself."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def upload(page, *paths) -> str:
    page.get_by_role("tab", name="文档管理").click()
    page.locator('#pq-files input[type="file"]').set_input_files([str(p) for p in paths])
    page.click("#pq-ingest")
    page.locator("#pq-upload-report .pq-upload").wait_for(timeout=120_000)
    return page.locator("#pq-upload-report").inner_text()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("tool.exe", b"MZ\x90\x00", "不支持的文件类型（.exe）"),
        ("empty.txt", b"", "文件是空的（0 字节）"),
    ],
)
def test_a_refused_file_gets_one_chinese_message(open_page, size, tmp_path, name, content, reason):
    page = open_page(size, locale="en-US")
    path = tmp_path / name
    path.write_bytes(content)
    report = upload(page, path)
    assert f"未加入：{name}：{reason}" in report
    assert "没有文件加入索引。" in report
    assert "已上传" not in report and "已加入" not in report and "empty file" not in report
    assert page.locator(".toast-body, .toast-wrap [role=alert]").count() == 0  # no pop-up
    zone = page.locator("#pq-files").inner_text()
    assert "错误" not in zone and "Error" not in zone
    assert page.dialogs == []


def test_a_tab_opened_before_an_upload_refreshes_its_lists(open_page, size, tmp_path):
    title = f"成渝数字经济协同测试文件{size}"
    other = open_page(size)  # opened first, left alone
    page = open_page(size)
    doc = tmp_path / f"{title}.txt"
    doc.write_text(f"{title}\n\n一、说明\n\n本文件用于测试文档列表的刷新。\n", encoding="utf-8")
    report = upload(page, doc)
    assert f"已加入索引：{doc.name}" in report
    assert re.search(r"新增 1 份，更新 0 份，未变 [1-9]\d* 份", report), report  # no rebuild
    other.get_by_role("tab", name="文档管理").click()
    other.wait_for_function(
        "t => document.querySelector('#pq-status')?.innerText.includes(t)",
        arg=title,
        timeout=30_000,
    )
    other.get_by_role("tab", name="段落检索").click()
    other.locator("#pq-search-doc input").click()
    other.get_by_role("option", name=title).wait_for()


def test_a_file_over_the_limit_is_refused_in_chinese_before_uploading(open_page, size, tmp_path):
    page = open_page(size, locale="en-US")
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # just over the 20 MB limit, without holding it in memory
        f.seek(21 * 1024 * 1024)
        f.write(b"x")
    page.get_by_role("tab", name="文档管理").click()
    page.locator('#pq-files input[type="file"]').set_input_files(str(big))
    note = page.locator("#pq-upload-check-msg")
    note.get_by_text("未加入：big.txt：超过 20 MB 的上限").wait_for()
    page.wait_for_timeout(500)  # Gradio's own check would have shown by now
    assert page.locator(".toast-body").count() == 0
    assert "错误" not in page.locator("#pq-files").inner_text()
