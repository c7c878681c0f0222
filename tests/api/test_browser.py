"""The faces in a real Chromium against the live server: the widget on the demo page, the staff
console, and every XSS payload as a question, a feedback comment and a search query.

Screenshots (desktop 1280×800, phone 390×844) go to test-artifacts/; the README's copies in
docs/screenshots/ come from test_browser_faces.py (PUBLISH_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from badinput import load_xss_payloads  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOC_SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER_TIMEOUT_MS = 20_000

# Everything a payload could have smuggled in, checked in the page and inside the widget's shadow root.
INJECTION_PROBE = """
() => {
  // the page, the widget's shadow root and every shadow root inside (answers the console renders)
  const roots = [document];
  for (let i = 0; i < roots.length; i++) {
    for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  const bad = [];
  const ownScripts = /(^|\\/)(widget|console)\\.js$/;
  for (const root of roots) {
    for (const el of root.querySelectorAll('*')) {
      const tag = el.tagName.toLowerCase();
      if (tag === 'script' && !ownScripts.test(el.getAttribute('src') || '')) bad.push('script: ' + el.outerHTML.slice(0, 80));
      if (['iframe', 'frame', 'object', 'embed', 'img', 'video', 'audio', 'base', 'math', 'marquee'].includes(tag))
        bad.push(tag + ': ' + el.outerHTML.slice(0, 80));
      if (el.closest('svg') && !['svg', 'path'].includes(tag)) bad.push('svg child ' + tag);
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
        if (name.startsWith('on')) bad.push('handler ' + name + ' on ' + tag);
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data'].includes(name) &&
            (value.startsWith('javascript:') || value.startsWith('data:text/html') || name === 'srcdoc'))
          bad.push(name + '=' + attr.value.slice(0, 60) + ' on ' + tag);
      }
    }
  }
  return bad;
}
"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page_factory(browser):
    contexts = []

    def make(viewport=DESKTOP, **kwargs):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []
        page.console_errors = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()


def shot(page, name: str, *, publish: str | None = None) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    # refreshing the README's screenshots is a deliberate act, not a side effect of every test run
    if publish and os.environ.get("PUBLISH_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / publish)
    return path


def ask_widget(page, question: str):
    """Type a question into the widget and wait for its answer bubble to be complete."""
    answers = page.locator("[data-testid=pqa-answer]")
    before = answers.count()
    page.locator("[data-testid=pqa-input]").fill(question)
    page.locator("[data-testid=pqa-input]").press("Enter")
    bubble = answers.nth(before)
    bubble.wait_for(state="attached", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(
        "(n) => { const h = document.querySelector('policy-qa-widget');"
        " const b = h && h.shadowRoot.querySelectorAll('[data-testid=pqa-answer]')[n];"
        " return b && b.getAttribute('data-status') !== 'pending'; }",
        arg=before, timeout=ANSWER_TIMEOUT_MS,
    )
    return bubble


def open_widget(page, live_server):
    page.goto(live_server.url + "/")
    page.locator("[data-testid=pqa-launcher]").click()
    page.locator("[data-testid=pqa-panel]").wait_for(state="visible")


# ---------------------------------------------------------------- widget
def test_widget_answers_with_a_citation_whose_quote_expands(page_factory, live_server):
    page = page_factory()
    open_widget(page, live_server)
    bubble = ask_widget(page, "一次性留工培训补助的标准是多少？")
    assert bubble.get_attribute("data-status") in ("answered", "clarify")
    assert "500" in bubble.inner_text()
    toggle = bubble.locator("[data-testid=pqa-cite-toggle]").first
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    quote = bubble.locator("[data-testid=pqa-quote]").first
    quote.wait_for(state="visible")
    assert "每名参保职工 500 元" in quote.inner_text()
    assert toggle.get_attribute("aria-expanded") == "true"
    # a two-turn conversation: the second question leans on the first, and the amount is computed
    ask_widget(page, "我开饭店，在低风险地区")
    follow = ask_widget(page, "有25个员工，都参保了，留工补助多少？")
    assert "12,500" in follow.locator("[data-testid=pqa-formula]").inner_text()
    shot(page, "widget-desktop-followup")  # the widget has scrolled to the answer's start
    follow.locator("[data-testid=pqa-cite-toggle]").first.click()
    follow.locator("[data-testid=pqa-quote]").first.wait_for(state="visible")
    shot(page, "widget-desktop-quote")
    assert page.dialogs == [] and page.console_errors == []


def test_widget_refuses_an_out_of_scope_question_with_the_hotline(page_factory, live_server):
    page = page_factory()
    open_widget(page, live_server)
    bubble = ask_widget(page, "护照怎么办理")
    assert bubble.get_attribute("data-status") == "no_answer"
    refusal = bubble.locator("[data-testid=pqa-refusal]")
    assert refusal.is_visible() and "12333" in refusal.inner_text()
    assert bubble.locator("[data-testid=pqa-cite-toggle]").count() == 0
    shot(page, "widget-refusal-desktop")


def test_widget_on_a_phone(page_factory, live_server):
    page = page_factory(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    open_widget(page, live_server)
    panel = page.locator("[data-testid=pqa-panel]")
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
    bubble = ask_widget(page, "招用应届高校毕业生，企业能领多少扩岗补助？")
    assert bubble.get_attribute("data-status") in ("answered", "clarify")
    basis = bubble.locator("[data-testid=pqa-basis-toggle]")
    if basis.count() and basis.is_visible():  # on a phone the basis waits behind the conclusion
        basis.click()
    bubble.locator("[data-testid=pqa-cite-toggle]").first.click()
    bubble.locator("[data-testid=pqa-quote]").first.wait_for(state="visible")
    shot(page, "widget-phone-quote")
    assert page.dialogs == [] and page.console_errors == []


# ---------------------------------------------------------------- console
def test_console_search_clause_and_calculator(page_factory, live_server):
    page = page_factory()
    page.goto(live_server.url + "/console")
    page.wait_for_function("() => document.querySelector('#ready').textContent.includes('服务就绪')")
    page.locator("#search").fill("留工培训 补助")
    page.locator("#search").press("Enter")
    first = page.locator("[data-testid=result]").first
    first.wait_for(state="visible")
    assert page.locator("[data-testid=result] mark").count() > 0  # highlights from the server's ranges
    first.click()
    title = page.locator("#clause-view h3.clause-title")
    title.wait_for(state="visible")
    assert "第2条" in title.inner_text()
    assert "500" in page.locator("#clause-view .clause-text").inner_text()
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "console-clause-desktop")

    page.locator("#calc-rule").select_option("job_retention_training_subsidy")
    page.locator("#calc-params [data-param=insured_employees]").fill("25")
    page.locator("#calc-submit").click()
    page.wait_for_function("() => document.querySelector('#calc-result').textContent.includes('12,500')")
    page.locator("#calc-sec").scroll_into_view_if_needed()
    shot(page, "console-calc-desktop")
    # a fine the document states as a range shows both ends, not only the lower one
    page.locator("#calc-rule").select_option("sy_fraud_fine")
    page.locator("#calc-params [data-param=sy_defrauded_amount]").fill("7000")
    page.locator("#calc-submit").click()
    page.wait_for_function("() => document.querySelector('#calc-result .amount')?.textContent.includes('21,000')")
    assert "7,000 至 21,000" in page.locator("#calc-result .amount").inner_text()
    shot(page, "console-calc-range-desktop")

    phone = page_factory(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(live_server.url + "/console")
    phone.wait_for_function("() => document.querySelector('#ready').textContent.includes('服务就绪')")
    phone.locator("#search").fill("扩岗补助")
    phone.locator("#search").press("Enter")
    phone.locator("[data-testid=result]").first.wait_for(state="visible")
    shot(phone, "console-phone")
    assert page.dialogs == [] and page.console_errors == [] and phone.console_errors == []


# ---------------------------------------------------------------- XSS
def test_xss_payloads_render_as_text_in_the_widget(page_factory, live_server):
    payloads = load_xss_payloads()
    page = page_factory()
    open_widget(page, live_server)
    for payload in payloads:
        ask_widget(page, payload)
    users = page.locator(".msg.user")
    assert users.count() == len(payloads)
    for i, payload in enumerate(payloads):
        assert users.nth(i).inner_text() == payload.strip()[:500]
    # every payload once more as a feedback comment on its own answer
    bubbles = page.locator("[data-testid=pqa-answer]")
    for i, payload in enumerate(payloads):
        bubble = bubbles.nth(i)
        bubble.locator("[data-testid=pqa-fb-down]").click()
        field = bubble.locator(".fb-more input")
        field.wait_for(state="visible")
        field.fill(payload)
        bubble.locator(".fb-more button").click()
        bubble.locator(".fb [role=status]", has_text="已收到您的意见").wait_for()
    shot(page, "widget-xss-desktop")
    assert page.evaluate(INJECTION_PROBE) == []
    assert page.dialogs == []
    # the comments arrived intact (as text) beside the widget session's answers
    session_id = page.evaluate(
        "() => { for (let i = 0; i < sessionStorage.length; i++) { const k = sessionStorage.key(i);"
        " if (k.startsWith('policy-qa:chat:')) return JSON.parse(sessionStorage.getItem(k)).session_id; } return null; }"
    )
    store = live_server.app.state.store
    turns = store.recent_turns(session_id, len(payloads) + 5)
    assert len(turns) == len(payloads)
    stored = [f.comment for t in turns for f in store.feedback_for(t.answer_id) if f.comment]
    # (a text input drops line breaks, so whitespace is compared collapsed)
    assert [" ".join(c.split()) for c in stored] == [" ".join(p.strip()[:1000].split()) for p in payloads]


def test_xss_payloads_render_as_text_in_the_console(page_factory, live_server):
    payloads = load_xss_payloads()
    page = page_factory()
    page.goto(live_server.url + "/console")
    page.wait_for_function("() => document.querySelector('#ready').textContent.includes('服务就绪')")
    for payload in payloads:
        page.locator("#ask-input").fill(payload)
        page.locator("#ask-submit").click()
        page.wait_for_function("() => !document.querySelector('#ask-submit').disabled"
                               " && document.querySelector('#ask-result .answer-head, #ask-result .notice')")
        page.locator("#search").fill(payload)
        page.locator("#search").press("Enter")
        page.wait_for_function("() => !document.querySelector('#search-status').textContent.includes('检索中')")
    shot(page, "console-xss-desktop")
    assert page.evaluate(INJECTION_PROBE) == []
    assert page.dialogs == []
