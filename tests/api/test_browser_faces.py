"""The faces of issue 14 in a real Chromium, each at a phone's 390 px and a desk's 1366 px: the widget's
session recovery, reload, tap sizes, focus trap, dark mode, copy, conclusion-first rendering and clause
view; the console's search badges and filters, feedback view with CSV export, documents view and
upload (with progress and the switch to the new index version); and /docs with the network blocked.

Everything is asserted on what the user sees (text, boxes, computed colours, the clipboard, a
downloaded file), through the same server the citizen would use.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import serve  # noqa: E402
from test_browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, ask_widget, shot  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 800}
VIEWPORTS = [pytest.param(PHONE, id="390"), pytest.param(DESK, id="1366")]
DOC_NUMBER = "晋人社党组字〔2022〕19号"
MIN_TAP_PX = 44

# a small notice in the official-document grammar; its clause text carries markup that must stay text
NEW_DOCUMENT = """关于做好测验岗位补贴发放工作的通知
测人社发〔2026〕3号
各市人力资源和社会保障局：
为做好测验岗位补贴发放工作，现就有关事项通知如下。
一、补贴对象和标准
（一）测验岗位补贴。对吸纳登记失业人员的企业，按每人 800 元的标准发放测验岗位补贴，政策执行至 2027 年 12 月 31 日。<b>此处不是粗体</b>
（二）申请材料。企业申请测验岗位补贴，应提交吸纳人员名单和劳动合同。
二、工作要求
各地要按月汇总测验岗位补贴发放情况，报省厅就业促进处。
测验省人力资源和社会保障厅
2026年3月1日
"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def new_page(browser):
    contexts = []

    def make(viewport, **kwargs):
        phone = viewport["width"] < 500
        context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=phone, has_touch=phone,
                                      device_scale_factor=2 if phone else 1, **kwargs)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()


def name_of(viewport) -> str:
    return "phone" if viewport["width"] < 500 else "desktop"


def widget(page, live_server, path: str = "/"):
    page.goto(live_server.url + path)
    page.locator("[data-testid=pqa-launcher]").click()
    page.locator("[data-testid=pqa-panel]").wait_for(state="visible")


def stored_chat(page) -> dict:
    return page.evaluate(
        "() => { for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i);"
        " if (k.startsWith('policy-qa:chat:')) return JSON.parse(sessionStorage.getItem(k)); } return null; }"
    )


def open_basis(bubble):
    """On a phone the basis (quotes, footnotes) sits collapsed behind the conclusion."""
    toggle = bubble.locator("[data-testid=pqa-basis-toggle]")
    if toggle.count() and toggle.first.is_visible() and toggle.first.get_attribute("aria-expanded") != "true":
        toggle.first.click()


# ---------------------------------------------------------------- widget
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_reload_restores_the_conversation_the_server_still_uses(new_page, live_server, viewport):
    page = new_page(viewport)
    widget(page, live_server)
    ask_widget(page, "我开饭店，在低风险地区")
    before = stored_chat(page)
    assert before["session_id"] and len(before["turns"]) == 1
    page.reload()
    page.locator("[data-testid=pqa-launcher]").click()
    # the visible conversation is back, with the same server session behind it
    assert page.locator("[data-testid=pqa-answer]").count() == 1
    assert page.locator(".msg.user").first.inner_text() == "我开饭店，在低风险地区"
    assert page.locator("[data-testid=pqa-restored]").is_visible()
    follow = ask_widget(page, "有25个员工，都参保了，留工补助多少？")
    open_basis(follow)
    assert "12,500" in follow.locator("[data-testid=pqa-formula]").inner_text()  # it used the restored context
    assert stored_chat(page)["session_id"] == before["session_id"]
    # 新对话 forgets both: the page and the stored session
    page.locator("[data-testid=pqa-reset]").click()
    assert page.locator("[data-testid=pqa-answer]").count() == 0
    assert stored_chat(page) == {"session_id": None, "turns": []}
    assert page.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_starts_a_new_session_when_the_server_forgot_it(new_page, live_server, viewport):
    page = new_page(viewport)
    widget(page, live_server)
    ask_widget(page, "稳岗返还政策归哪个处室负责？")
    # the server no longer knows the id (expired, purged, or a store reset)
    page.evaluate(
        "() => { for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i);"
        " if (k.startsWith('policy-qa:chat:')) { const r = JSON.parse(sessionStorage.getItem(k));"
        " r.session_id = 'expired-session-id'; sessionStorage.setItem(k, JSON.stringify(r)); } } }"
    )
    page.reload()
    page.locator("[data-testid=pqa-launcher]").click()
    bubble = ask_widget(page, "一次性留工培训补助的标准是多少？")
    assert bubble.get_attribute("data-status") in ("answered", "clarify")
    assert "会话不存在" not in bubble.inner_text()
    notice = page.locator("[data-testid=pqa-notice]")
    assert notice.count() == 1 and "已为您开始新的对话" in notice.inner_text()
    assert page.locator(".err").count() == 0
    new_id = stored_chat(page)["session_id"]
    assert new_id and new_id != "expired-session-id"
    shot(page, f"widget-session-recovered-{name_of(viewport)}")
    assert page.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_tap_targets_input_font_and_focus(new_page, live_server, viewport):
    page = new_page(viewport)
    widget(page, live_server)
    bubble = ask_widget(page, "招用应届高校毕业生，企业能领多少扩岗补助？")
    open_basis(bubble)
    bubble.locator("[data-testid=pqa-cite-toggle]").first.click()
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('policy-qa-widget')"
                         ".shadowRoot.querySelector('textarea')).fontSize)")
    assert font >= 16  # a smaller input makes phones zoom in
    if viewport["width"] < 500:
        small = page.evaluate(
            """(min) => {
              const root = document.querySelector('policy-qa-widget').shadowRoot;
              const bad = [];
              for (const el of root.querySelectorAll('button, a[href], input, textarea')) {
                const r = el.getBoundingClientRect();
                if (!r.width || !r.height) continue;
                if (el.classList.contains('ref')) {
                  const after = getComputedStyle(el, '::after');
                  if (parseFloat(after.height) < min || parseFloat(after.width) < min) bad.push('ref ' + el.textContent);
                } else if (r.height < min || r.width < min) {
                  bad.push(el.tagName + ' ' + (el.getAttribute('aria-label') || el.textContent).slice(0, 20) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
                }
              }
              return bad;
            }""",
            MIN_TAP_PX,
        )
        assert small == []
        # full screen is modal: Tab never leaves the panel
        assert page.locator("[data-testid=pqa-panel]").get_attribute("aria-modal") == "true"
        page.locator("[data-testid=pqa-input]").focus()
        for _ in range(40):
            page.keyboard.press("Tab")
            inside = page.evaluate("() => { const h = document.querySelector('policy-qa-widget');"
                                   " return document.activeElement === h && h.shadowRoot.activeElement !== null"
                                   " && h.shadowRoot.querySelector('[data-testid=pqa-panel]').contains(h.shadowRoot.activeElement); }")
            assert inside
        shot(page, "widget-phone", publish="widget-phone.png")
    else:
        assert page.locator("[data-testid=pqa-panel]").get_attribute("aria-modal") == "false"
        box = page.locator("[data-testid=pqa-panel]").bounding_box()
        assert box["width"] <= 420 and box["x"] > DESK["width"] / 2  # a floating panel beside the page
        shot(page, "widget-desktop", publish="widget-desktop.png")
    assert page.errors == []


def _luminance(css_colour: str) -> float:
    r, g, b = (int(x) for x in css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_follows_the_dark_colour_scheme(new_page, live_server, viewport):
    page = new_page(viewport, color_scheme="dark")
    widget(page, live_server)
    ask_widget(page, "灵活就业人员参保还有户籍限制吗？")
    colours = page.evaluate(
        "() => { const r = document.querySelector('policy-qa-widget').shadowRoot;"
        " const s = (sel) => getComputedStyle(r.querySelector(sel));"
        " return { log: s('.log').backgroundColor, bubble: s('.bot').backgroundColor, text: s('.bot').color,"
        " input: s('textarea').backgroundColor }; }"
    )
    assert _luminance(colours["log"]) < 0.2 and _luminance(colours["bubble"]) < 0.25 and _luminance(colours["input"]) < 0.25
    assert _luminance(colours["text"]) > 0.75
    shot(page, f"widget-dark-{name_of(viewport)}", publish=f"widget-dark-{name_of(viewport)}.png")
    page.emulate_media(color_scheme="light")
    light = page.evaluate("() => getComputedStyle(document.querySelector('policy-qa-widget').shadowRoot"
                          ".querySelector('.bot')).backgroundColor")
    assert _luminance(light) > 0.9
    assert page.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_footnotes_copy_and_the_clause_page(new_page, live_server, viewport):
    page = new_page(viewport, permissions=["clipboard-read", "clipboard-write"])
    widget(page, live_server)
    bubble = ask_widget(page, "一次性留工培训补助的标准是多少？")
    open_basis(bubble)
    toggle = bubble.locator("[data-testid=pqa-cite-toggle]").first
    footnote = toggle.inner_text()
    assert DOC_NUMBER in footnote and "第2条" in footnote
    assert "sx-rst-2022-19" not in footnote and "关于贯彻落实" not in footnote  # no internal id, no full title
    bubble.locator("[data-testid=pqa-copy]").click()
    bubble.locator("[data-testid=pqa-copy-status]", has_text="已复制").wait_for()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert f"[1] {DOC_NUMBER} 第2条" in copied and "每名参保职工 500 元" in copied

    toggle.click()
    quote = bubble.locator("[data-testid=pqa-quote]").first.inner_text()
    with page.expect_popup() as popup:
        bubble.locator("[data-testid=pqa-clause-link]").first.click()
    clause = popup.value
    clause.wait_for_load_state()
    assert "第2条" in clause.locator("h1").inner_text()
    marked = clause.locator("mark#quote").inner_text()
    assert marked and marked.replace("\n", "") in quote.replace("\n", "")
    assert "500 元" in clause.locator(".text").inner_text()
    assert DOC_NUMBER in clause.locator("header").inner_text()
    shot(clause, f"clause-page-{name_of(viewport)}", publish=f"clause-page-{name_of(viewport)}.png")
    assert page.errors == []


def _sse(answer: dict) -> str:
    meta = {k: answer[k] for k in ("session_id", "answer_id", "status", "intent")}
    return (f"event: meta\ndata: {json.dumps(meta, ensure_ascii=False)}\n\n"
            f"event: done\ndata: {json.dumps(answer, ensure_ascii=False)}\n\n")


#: a list answer in the 1.2 contract: one conclusion, three measures, each with its own validity
LIST_ANSWER = {
    "version": "1.2", "question": "我开饭店，25个员工都交了社保，能领什么补贴？", "status": "answered", "intent": "eligibility",
    "summary": "您可能可以享受 3 项措施，其中 1 项可领 12,500元（25人 × 500元/人）。",
    "answer": "您可能可以享受 3 项措施，其中 1 项可领 12,500元（25人 × 500元/人）。[1]\n\n一次性留工培训补助：可领 12,500元[1]。",
    "citations": [{"n": 1, "doc_id": "sx-rst-2022-19", "document": DOC_NUMBER, "clause_id": "sx-rst-2022-19#2.2",
                   "label": "第2条第(2)项", "title": "关于贯彻落实扎实稳住经济一揽子政策措施着力稳就业保民生的工作方案",
                   "quote": "均按照每名参保职工 500 元的标准发放一次性留工培训补助。", "start": 1159, "end": 1187}],
    "measures": [
        {"title": "一次性留工培训补助", "status": "applies", "amount": 12500, "formula": "25人 × 500元/人",
         "validity": {"period": "2022 年", "as_of": "2026-11-26", "lapsed": True, "note": "已于2022年12月31日到期"},
         "citations": [1]},
        {"title": "稳岗返还", "status": "check", "validity": {"as_of": "2026-11-26", "lapsed": None}, "citations": []},
        {"title": "社会保险费缓缴", "status": "no", "validity": {"as_of": "2026-11-26", "lapsed": False, "period": "至2027年"},
         "note": "不重复享受"},
    ],
    "session_id": "s-list", "answer_id": "a-list", "index_version": "test",
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_widget_shows_the_conclusion_first_and_one_line_per_measure(new_page, live_server, viewport):
    page = new_page(viewport)
    page.route("**/api/chat/stream", lambda route: route.fulfill(
        status=200, content_type="text/event-stream; charset=utf-8", body=_sse(LIST_ANSWER)))
    widget(page, live_server)
    bubble = ask_widget(page, LIST_ANSWER["question"])
    first = bubble.locator(".answer > *").first
    assert first.get_attribute("data-testid") == "pqa-summary"
    assert first.inner_text().startswith("您可能可以享受 3 项措施")
    lines = bubble.locator("[data-testid=pqa-measure]")
    assert lines.count() == 3
    badges = [lines.nth(i).locator("[data-testid=pqa-badge]").inner_text() for i in range(3)]
    assert badges == ["已过期", "未注明期限", "在有效期内"]
    assert "12,500元" in lines.nth(0).inner_text() and "可享受" in lines.nth(0).inner_text()
    assert bubble.locator("[data-testid=pqa-lapsed]").count() == 0  # no one banner for a whole list
    basis = bubble.locator("[data-testid=pqa-basis]")
    if viewport["width"] < 500:
        assert not basis.is_visible()  # the quote waits behind the conclusion
        bubble.locator("[data-testid=pqa-basis-toggle]").click()
    assert basis.is_visible() and DOC_NUMBER in basis.inner_text()
    shot(page, f"widget-list-{name_of(viewport)}", publish=f"widget-list-{name_of(viewport)}.png")
    assert page.errors == []


def test_hostile_host_css_is_an_opt_in_demo_page(new_page, live_server):
    page = new_page(DESK)
    page.goto(live_server.url + "/")
    assert page.locator("#hostile-css").count() == 0
    assert page.evaluate("() => getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 255, 255)"
    widget(page, live_server, "/static/hostile.html")
    assert page.locator("#hostile-css").is_checked()
    size = page.evaluate("() => getComputedStyle(document.querySelector('policy-qa-widget').shadowRoot"
                         ".querySelector('textarea')).fontSize")
    assert size == "16px"  # the host's 30px !important does not reach inside


# ---------------------------------------------------------------- console
def console(page, server):
    page.goto(server.url + "/console")
    page.wait_for_function("() => document.querySelector('#ready').textContent.includes('服务就绪')")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_console_search_shows_validity_not_scores_and_lists_every_filter_value(new_page, live_server, viewport):
    page = new_page(viewport)
    console(page, live_server)
    page.wait_for_function("() => document.querySelector('#f-unit').options.length > 10")
    units = page.locator("#f-unit option").all_inner_texts()
    leaders = page.locator("#f-leader option").all_inner_texts()
    assert "失业保险处" in units and "就业促进处" in units and "李浓" in leaders  # before any search
    page.locator("#search").fill("稳岗返还")
    page.locator("#search").press("Enter")
    page.locator("[data-testid=result]").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#search-status').textContent.includes('检索中')")
    results = page.locator("[data-testid=result]")
    kinds = [results.nth(i).get_attribute("data-kind") for i in range(results.count())]
    assert kinds[0] != "ledger_row"
    if "ledger_row" in kinds:  # the task ledger restating the body comes after it
        assert all(k == "ledger_row" for k in kinds[kinds.index("ledger_row"):])
    text = page.locator("#results").inner_text()
    assert "已过期" in text or "在有效期内" in text or "未注明期限" in text
    assert page.locator(".r-score").count() == 0
    for i in range(results.count()):
        assert results.nth(i).locator(".badge.valid, .badge.lapsed, .badge.unknown").count() == 1
    page.locator("#f-unit").select_option("失业保险处")
    page.wait_for_function("() => !document.querySelector('#search-status').textContent.includes('检索中')")
    page.wait_for_timeout(400)  # the filter's debounced search
    page.wait_for_function("() => !document.querySelector('#search-status').textContent.includes('检索中')")
    metas = page.locator("[data-testid=result] .r-meta").all_inner_texts()
    assert metas and all("失业保险处" in m for m in metas)
    if viewport["width"] > 1000:
        page.set_viewport_size({"width": 1024, "height": 768})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        search_box = page.locator("#search-sec").bounding_box()
        clause_box = page.locator("#clause-sec").bounding_box()
        assert clause_box["x"] > search_box["x"] + search_box["width"] - 1  # still side by side at 1024
        shot(page, "console-1024", publish="console-1024.png")
        page.set_viewport_size(DESK)
        page.evaluate("() => window.scrollTo(0, 0)")
        shot(page, "console-desktop", publish="console.png")
    else:
        shot(page, "console-search-phone")
    assert page.errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_console_feedback_view_filters_and_exports_csv(new_page, live_server, viewport, tmp_path):
    marker = "反馈测试" + ("甲" if viewport["width"] < 500 else "乙")  # no digits: the assistant would read them
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        answer = client.post("/api/chat", json={"question": f"一次性留工培训补助的标准是多少？{marker}"}).json()
        assert client.post("/api/feedback", json={"answer_id": answer["answer_id"], "helpful": False}).status_code == 200
        assert client.post("/api/feedback", json={"answer_id": answer["answer_id"], "helpful": False,
                                                  "comment": "=没说清楚金额"}).status_code == 200
        liked = client.post("/api/chat", json={"question": f"稳岗返还政策归哪个处室负责？{marker}"}).json()
        client.post("/api/feedback", json={"answer_id": liked["answer_id"], "helpful": True})
    page = new_page(viewport, accept_downloads=True)
    console(page, live_server)
    page.locator("#feedback-sec").scroll_into_view_if_needed()
    page.locator("#fb-q").fill(marker)
    page.locator("#fb-load").click()
    items = page.locator("[data-testid=fb-item]")
    page.wait_for_function("(m) => document.querySelector('#fb-status').textContent.startsWith('共')", arg=marker)
    assert items.count() == 1  # only the unhelpful one, and one item for the rating and its comment
    item = items.first.inner_text()
    assert marker in item and "没帮助" in item and "=没说清楚金额" in item
    assert DOC_NUMBER in item and "第2条" in item  # its citations
    page.locator("#fb-verdict").select_option("all")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=fb-item]').length === 2")
    page.locator("#fb-verdict").select_option("unhelpful")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=fb-item]').length === 1")
    shot(page.locator("#feedback-sec"), f"console-feedback-{name_of(viewport)}",
         publish=f"console-feedback-{name_of(viewport)}.png")
    with page.expect_download() as download:
        page.locator("#fb-csv").click()
    path = tmp_path / "feedback.csv"
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("反馈时间,评价,问题")
    assert marker in text and "没帮助" in text and "'=没说清楚金额" in text  # a formula cell is defused
    assert "稳岗返还" not in text  # the filter applies to the export too
    assert page.errors == []


@pytest.fixture(scope="module")
def upload_server(api_settings, embedder, built_index, tmp_path_factory):
    """A server of its own over copies of the corpus and the index: uploads add documents to them."""
    from api.app import create_app
    from assistant.pipeline import Assistant

    root = tmp_path_factory.mktemp("upload")
    shutil.copytree(REPO / "corpus", root / "corpus")
    (root / "corpus" / "documents").chmod(0o755)
    shutil.copytree(built_index, root / "index")
    settings = api_settings.model_copy(update={"corpus_dir": root / "corpus", "index_dir": root / "index",
                                               "db_path": root / "db.sqlite3", "index_poll_seconds": 0.2})
    assistant = Assistant.open(settings, embedder)
    with serve(create_app(settings, assistant), settings) as live:
        yield live


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_console_documents_view_and_upload_with_progress(new_page, upload_server, viewport, tmp_path):
    page = new_page(viewport)
    console(page, upload_server)
    page.locator("#docs-sec").scroll_into_view_if_needed()
    rows = page.locator("[data-testid=doc-row]")
    rows.first.wait_for()
    before = rows.count()
    assert before >= 8
    row = page.locator("[data-testid=doc-row][data-doc-id='sx-rst-2022-19']").inner_text()
    assert DOC_NUMBER in row and "公文体" in row and "100.0%" in row and "部分" in row
    version_before = page.locator("#ready").inner_text()

    # a broken file is refused with its reason, and the index keeps serving
    bad = tmp_path / f"broken-{viewport['width']}.pdf"
    bad.write_bytes(b"%PDF-1.4 this is not really a pdf")
    page.locator("#upload-file").set_input_files(str(bad))
    page.locator("#upload-submit").click()
    page.wait_for_function("() => ['refused', 'failed'].includes(document.querySelector('#upload-job').dataset.stage)",
                           timeout=ANSWER_TIMEOUT_MS)
    assert "未收录" in page.locator("#job-message").inner_text()
    assert page.locator("#job-stage").inner_text() == "未收录"
    assert not (Path(upload_server.settings.corpus_dir) / "documents" / bad.name).exists()

    good = tmp_path / f"test-notice-{viewport['width']}.txt"
    good.write_text(NEW_DOCUMENT, encoding="utf-8")
    page.locator("#upload-file").set_input_files(str(good))
    page.locator("#upload-submit").click()
    stages = set()
    page.locator("#upload-job[data-stage=embedding], #upload-job[data-stage=indexing], #upload-job[data-stage=switching],"
                 " #upload-job[data-stage=done]").wait_for(timeout=ANSWER_TIMEOUT_MS)
    for _ in range(400):
        stage = page.locator("#upload-job").get_attribute("data-stage")
        stages.add(stage)
        if stage in ("done", "refused", "failed"):
            break
        page.wait_for_timeout(100)
    assert stage == "done", page.locator("#job-message").inner_text()
    assert stages & {"checking", "embedding", "indexing", "switching"}  # progress was shown on the way
    assert page.locator("#job-progress").get_attribute("value") == "100"
    assert "已收录并切换" in page.locator("#job-message").inner_text()
    page.wait_for_function("(n) => document.querySelectorAll('[data-testid=doc-row]').length === n + 1", arg=before)
    page.wait_for_function("(v) => document.querySelector('#ready').textContent !== v", arg=version_before)
    shot(page.locator("#docs-sec"), f"console-documents-{name_of(viewport)}",
         publish=f"console-documents-{name_of(viewport)}.png")
    assert (Path(upload_server.settings.corpus_dir) / "documents" / good.name).exists()

    # the running assistant answers from the new version, and its clause page shows the markup as text
    page.locator("#search").fill("测验岗位补贴")
    page.locator("#search").press("Enter")
    hit = page.locator(f"[data-testid=result][data-doc-id='{good.stem}']").first
    hit.wait_for(timeout=ANSWER_TIMEOUT_MS)
    clause_id = hit.get_attribute("data-clause-id")
    page.goto(upload_server.url + f"/clause/{good.stem}/{clause_id.split('#', 1)[1]}")
    assert page.locator("main").inner_text().count("测验") >= 1
    if "此处不是粗体" in page.locator(".text").inner_text():
        assert "<b>此处不是粗体</b>" in page.locator(".text").inner_text()
        assert page.locator(".text b").count() == 0
    assert page.errors == []


# ---------------------------------------------------------------- offline docs
def test_openapi_docs_render_with_the_network_blocked(new_page, live_server):
    page = new_page(DESK)
    blocked = []

    def only_loopback(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(live_server.url + "/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "policy-qa" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-tag").count() >= 3  # the operations are listed
    shot(page, "docs-offline", publish="docs-offline.png")
    page.goto(live_server.url + "/redoc")
    page.locator("h1", has_text="policy-qa").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    # nothing the pages need comes from another host (ReDoc's footer asks for its own logo image only)
    assert [url for kind, url in blocked if kind != "image"] == []
    assert page.errors == []
