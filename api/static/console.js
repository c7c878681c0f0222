/*
 * policy-qa staff console (12333 hotline): clause search, clause view, ask, calculator, matcher,
 * citizens' feedback, and the documents (with upload of a new one).
 *
 * Plain ES2020, no framework, no build step; the page's CSP allows only same-origin scripts. Answers
 * are drawn by the widget's renderer (`PolicyQA.renderAnswer`, from widget.js with data-mount="none"),
 * so a hotline worker sees exactly what the citizen saw. The calculator and matcher forms are built
 * from GET /api/rules: no parameter, industry or rule is named here.
 * Server strings always enter the DOM as text nodes (textContent, createTextNode); search
 * highlights are <mark> elements built from the server's character ranges, never from HTML.
 */
(() => {
  'use strict';

  const SEARCH_DEBOUNCE_MS = 250;
  const SEARCH_K = 10;
  const MAX_QUESTION = 500;
  const API_KEY_STORAGE = 'policy-qa.apiKey';
  const REQUEST_TIMEOUT_MS = 90000;

  const script = document.currentScript;
  const API_BASE = (() => {
    try {
      const u = new URL('.', script && script.src ? script.src : location.href);
      // Served from /static/console.js, the API is still at /api/.
      if (u.pathname.endsWith('/static/')) u.pathname = u.pathname.slice(0, -'static/'.length);
      return u.href;
    } catch (_) {
      return new URL('/', location.href).href;
    }
  })();

  const $ = (sel) => document.querySelector(sel);

  // ------------------------------------------------------------------ DOM helpers

  /** Element factory: attributes via setAttribute, children as text nodes — no HTML parsing. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') el.textContent = String(v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return el;
  }

  function clear(el) {
    el.textContent = '';
    return el;
  }

  function str(v) {
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
  }

  function arr(v) {
    return Array.isArray(v) ? v : [];
  }

  function formatAmount(n) {
    if (typeof n === 'number' && isFinite(n)) return new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2 }).format(n);
    return str(n);
  }

  function debounce(fn, ms) {
    let t = null;
    const run = (...args) => {
      clearTimeout(t);
      t = setTimeout(() => fn(...args), ms);
    };
    run.cancel = () => clearTimeout(t);
    return run;
  }

  function flash(el) {
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation
    el.classList.add('flash');
  }

  // ------------------------------------------------------------------ API key

  const apiKeyInput = $('#api-key');
  function loadApiKey() {
    try {
      return window.localStorage.getItem(API_KEY_STORAGE) || '';
    } catch (_) {
      return '';
    }
  }
  function saveApiKey(value) {
    try {
      if (value) window.localStorage.setItem(API_KEY_STORAGE, value);
      else window.localStorage.removeItem(API_KEY_STORAGE);
    } catch (_) {
      /* storage blocked: the key lives only in the field */
    }
  }
  apiKeyInput.value = loadApiKey();
  apiKeyInput.addEventListener('change', () => {
    saveApiKey(apiKeyInput.value.trim());
    loadReferenceData(); // documents/rules may have failed for want of the key
    loadFacets();
    loadFeedback();
    if ($('#search').value.trim()) runSearch();
  });

  // ------------------------------------------------------------------ HTTP

  class ApiError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code || 'error';
      this.status = status || 0;
    }
  }

  function describe(err) {
    if (err instanceof ApiError) return err.message;
    if (err && err.name === 'AbortError') return '请求超时，请重试。';
    return '无法连接服务，请检查网络或服务状态。';
  }

  /** fetch + JSON + the API's error shape `{"error": {"code", "message"}}` turned into ApiError. */
  async function api(path, { method = 'GET', params = null, body = undefined, signal = undefined } = {}) {
    const url = new URL(path, API_BASE);
    if (params) {
      for (const [k, v] of Object.entries(params)) {
        if (v !== null && v !== undefined && v !== '') url.searchParams.set(k, String(v));
      }
    }
    const headers = { Accept: 'application/json' };
    const key = apiKeyInput.value.trim();
    if (key) headers['X-API-Key'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
    if (signal) signal.addEventListener('abort', () => timeout.abort(), { once: true });
    let res;
    try {
      res = await fetch(url.href, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: timeout.signal });
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (!res.ok) {
      const e = data && data.error;
      let message = e && e.message ? str(e.message) : '';
      if (!message && data && typeof data.detail === 'string') message = data.detail;
      if (!message) {
        message =
          res.status === 401 || res.status === 403
            ? '需要有效的 API 密钥（页面右上角填写）。'
            : res.status >= 500
              ? '服务暂时不可用（HTTP ' + res.status + '）。'
              : '请求未能完成（HTTP ' + res.status + '）。';
      }
      throw new ApiError(message, e && e.code ? str(e.code) : 'http_' + res.status, res.status);
    }
    return data;
  }

  function errorBox(err) {
    return h('p', { class: 'notice err', role: 'alert' }, '⚠ ' + (typeof err === 'string' ? err : describe(err)));
  }

  // ------------------------------------------------------------------ shared renderers

  const docTitles = new Map(); // doc_id → title, from GET /api/documents
  const KIND_TEXT = {
    section: '部分', item: '条', subitem: '项', preamble: '前言', notice: '印发通知',
    attachment: '附件', roster_entry: '附件名单', ledger_row: '附件台账', paragraph: '段落',
  };
  const PERIOD_KIND_TEXT = { range: '起止期间', until: '截止', deadline: '完成时限', year: '年度', recurring: '定期' };

  /** Badge for a Validity: lapsed true → 已过期, false → 在有效期内, null → 未注明期限. */
  function validityBadge(v) {
    if (!v || typeof v !== 'object') return null;
    if (v.lapsed === true) return h('span', { class: 'badge lapsed', title: str(v.note) }, '已过期');
    if (v.lapsed === false) return h('span', { class: 'badge valid', title: str(v.note) }, '在有效期内');
    return h('span', { class: 'badge unknown', title: str(v.note) }, '未注明期限');
  }

  function lapsedNotice(v) {
    if (!v || v.lapsed !== true) return null;
    const why = str(v.note) || (v.period ? '有效期为' + str(v.period) : '已超过文件规定的执行期限');
    return h('p', { class: 'notice warn', role: 'note' }, '⚠ 该措施已过期：' + why);
  }

  function subList(title, items) {
    const list = arr(items).filter((x) => typeof x === 'string' && x.trim());
    if (!list.length) return null;
    return h('div', { class: 'sublist' }, h('p', { class: 'label', text: title }), h('ul', null, list.map((x) => h('li', null, x))));
  }

  function formulaBox(calc) {
    if (!calc || typeof calc !== 'object') return null;
    const box = h('div', { class: 'formula-box' }, h('div', { class: 'label', text: '计算方法' + (calc.is_cap ? '（最高额）' : '') }));
    if (calc.formula) box.appendChild(h('div', { class: 'formula', text: str(calc.formula) }));
    if (calc.note) box.appendChild(h('div', { class: 'small muted', text: str(calc.note) }));
    return box;
  }

  function citeTitle(c) {
    return str(c.title) || docTitles.get(str(c.doc_id)) || str(c.doc_id);
  }

  /** Numbered citations with their verbatim quotes; each can open its clause in the clause view. */
  function citationList(citations, idPrefix) {
    const list = arr(citations).filter((c) => c && typeof c === 'object');
    if (!list.length) return null;
    const ol = h('ol', { class: 'cites', 'aria-label': '引用原文' });
    for (const c of list) {
      const open = h('button', { type: 'button', class: 'link', title: '在条文详情中打开' }, '查看条文');
      open.addEventListener('click', () => openClause(str(c.doc_id), str(c.clause_id)));
      ol.appendChild(
        h('li', { id: idPrefix ? idPrefix + '-' + c.n : null },
          h('div', { class: 'cite-head' },
            h('span', { text: '[' + str(c.n) + ']' }),
            h('span', { class: 'doc', text: str(c.document) || '《' + citeTitle(c) + '》' }),
            h('span', { text: str(c.label) || str(c.clause_id) }),
            open),
          h('blockquote', null, str(c.quote))),
      );
    }
    return ol;
  }

  /**
   * Quote with <mark> around the server's highlight ranges. Ranges count Unicode code points
   * (Python string indices), so the quote is split into code points, not UTF-16 units.
   */
  function highlighted(quote, ranges, terms) {
    const chars = Array.from(str(quote));
    let spans = arr(ranges)
      .filter((r) => Array.isArray(r) && r.length >= 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]))
      .map((r) => [Math.max(0, r[0]), Math.min(chars.length, r[1])])
      .filter((r) => r[0] < r[1]);
    if (!spans.length && arr(terms).length) spans = rangesOfTerms(chars, terms);
    spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const merged = [];
    for (const s of spans) {
      const lastSpan = merged[merged.length - 1];
      if (lastSpan && s[0] <= lastSpan[1]) lastSpan[1] = Math.max(lastSpan[1], s[1]);
      else merged.push([s[0], s[1]]);
    }
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const [s, e] of merged) {
      if (s > pos) frag.appendChild(document.createTextNode(chars.slice(pos, s).join('')));
      frag.appendChild(h('mark', null, chars.slice(s, e).join('')));
      pos = e;
    }
    if (pos < chars.length) frag.appendChild(document.createTextNode(chars.slice(pos).join('')));
    return frag;
  }

  /** Fallback when a hit has matched_terms but no ranges: find the terms in the quote ourselves. */
  function rangesOfTerms(chars, terms) {
    const text = chars.join('');
    const out = [];
    for (const t of terms) {
      const term = str(t);
      if (!term) continue;
      let i = text.indexOf(term);
      while (i !== -1) {
        const s = Array.from(text.slice(0, i)).length;
        out.push([s, s + Array.from(term).length]);
        i = text.indexOf(term, i + term.length);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ search

  const searchInput = $('#search');
  const results = $('#results');
  const searchStatus = $('#search-status');
  const filters = { doc_id: $('#f-doc'), unit: $('#f-unit'), leader: $('#f-leader'), section: $('#f-section') };
  let searchController = null;

  async function runSearch() {
    const q = searchInput.value.trim();
    if (searchController) searchController.abort();
    if (!q) {
      clear(results);
      searchStatus.textContent = '';
      return;
    }
    const controller = new AbortController();
    searchController = controller;
    searchStatus.textContent = '检索中…';
    const params = { q, k: SEARCH_K };
    for (const [name, el] of Object.entries(filters)) params[name] = el.value.trim();
    try {
      const data = await api('api/search', { params, signal: controller.signal });
      if (controller !== searchController) return; // a newer keystroke won
      renderResults(arr(data && data.results));
    } catch (err) {
      if (controller !== searchController) return;
      clear(results);
      searchStatus.textContent = '';
      results.appendChild(h('li', null, errorBox(err)));
    }
  }
  const runSearchSoon = debounce(runSearch, SEARCH_DEBOUNCE_MS);

  function renderResults(hits) {
    clear(results);
    searchStatus.textContent = hits.length ? '找到 ' + hits.length + ' 条相关条文' : '没有找到匹配的条文，换个关键词或放宽筛选条件试试。';
    for (const hit of hits) {
      if (!hit || typeof hit !== 'object') continue;
      const meta = [];
      if (arr(hit.units).length) meta.push('处室：' + arr(hit.units).map(str).join('、'));
      if (arr(hit.leaders).length) meta.push('领导：' + arr(hit.leaders).map(str).join('、'));
      const doc = str(hit.document) || (citeTitle(hit) ? '《' + citeTitle(hit) + '》' : '');
      if (doc) meta.push(doc);
      const button = h(
        'button',
        { type: 'button', class: 'result-open' },
        h('span', { class: 'r-head' },
          h('span', { class: 'r-label', text: str(hit.label) || str(hit.clause_id) }),
          h('span', { class: 'r-section', text: str(hit.section_title) }),
          KIND_TEXT[str(hit.kind)] && ['ledger_row', 'roster_entry', 'attachment'].includes(str(hit.kind))
            ? h('span', { class: 'badge kind', text: KIND_TEXT[str(hit.kind)] }) : null,
          validityBadge(hit.validity)),
        h('span', { class: 'r-quote' }, highlighted(hit.quote, hit.highlights, hit.matched_terms)),
        h('span', { class: 'r-meta', text: meta.join(' · ') }),
      );
      const li = h('li', { class: 'result', 'data-testid': 'result', 'data-doc-id': str(hit.doc_id), 'data-clause-id': str(hit.clause_id), 'data-kind': str(hit.kind) }, button);
      results.appendChild(li);
    }
  }

  /** Every unit, leader and section the index knows, listed in the filters before any search. */
  async function loadFacets() {
    try {
      const f = await api('api/search/facets');
      fillSelect(filters.unit, arr(f && f.units).map((u) => [str(u), str(u)]), '全部处室');
      fillSelect(filters.leader, arr(f && f.leaders).map((l) => [str(l), str(l)]), '全部领导');
      fillSelect(filters.section, arr(f && f.sections).map((x) => [str(x), str(x)]), '全部章节');
    } catch (_) {
      /* the filters stay at 全部; search still works */
    }
  }

  // One listener for the whole list: the click may land on the <li> padding or the button inside.
  results.addEventListener('click', (e) => {
    const li = e.target.closest('[data-testid="result"]');
    if (!li) return;
    results.querySelectorAll('.result.active').forEach((x) => x.classList.remove('active'));
    li.classList.add('active');
    openClause(li.getAttribute('data-doc-id'), li.getAttribute('data-clause-id'), { scroll: true });
  });
  // Arrow keys walk the result list; ArrowDown in the search box enters it.
  results.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const buttons = [...results.querySelectorAll('.result-open')];
    const i = buttons.indexOf(document.activeElement);
    if (i === -1) return;
    e.preventDefault();
    if (e.key === 'ArrowDown' && i + 1 < buttons.length) buttons[i + 1].focus();
    else if (e.key === 'ArrowUp') (i > 0 ? buttons[i - 1] : searchInput).focus();
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      const first = results.querySelector('.result-open');
      if (first) {
        e.preventDefault();
        first.focus();
      }
    } else if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      runSearchSoon.cancel();
      runSearch();
    }
  });
  searchInput.addEventListener('input', runSearchSoon);
  for (const el of Object.values(filters)) el.addEventListener('change', runSearchSoon);

  // ------------------------------------------------------------------ clause view

  const clauseView = $('#clause-view');
  let clauseController = null;

  /** Split "doc#path" or a bare path into the two URL segments the endpoint wants. */
  function clauseRef(docId, clauseId) {
    const id = str(clauseId);
    const hash = id.indexOf('#');
    if (hash !== -1) return { docId: id.slice(0, hash) || str(docId), path: id.slice(hash + 1) };
    return { docId: str(docId), path: id };
  }

  async function openClause(docId, clauseId, opts = {}) {
    const ref = clauseRef(docId, clauseId);
    if (!ref.docId || !ref.path) return;
    if (clauseController) clauseController.abort();
    const controller = new AbortController();
    clauseController = controller;
    clauseView.setAttribute('aria-busy', 'true');
    try {
      const data = await api('api/documents/' + encodeURIComponent(ref.docId) + '/clauses/' + encodeURIComponent(ref.path), { signal: controller.signal });
      if (controller !== clauseController) return;
      renderClause(data || {}, ref.docId);
    } catch (err) {
      if (controller !== clauseController) return;
      clear(clauseView).appendChild(errorBox(err));
    } finally {
      if (controller === clauseController) clauseView.removeAttribute('aria-busy');
    }
    if (opts.scroll && window.matchMedia('(max-width: 900px)').matches) {
      $('#clause-sec').scrollIntoView({ block: 'start', behavior: 'smooth' });
    }
  }

  function navButton(text, target, docId) {
    if (!target || !target.clause_id) return null;
    const b = h('button', { type: 'button', class: 'secondary', title: str(target.title) }, text + str(target.label || target.clause_id));
    b.addEventListener('click', () => openClause(docId, str(target.clause_id)));
    return b;
  }

  function renderClause(data, docId) {
    const c = data.clause && typeof data.clause === 'object' ? data.clause : {};
    clear(clauseView);
    const crumbs = [str(c.section_title), str(c.item_title)].filter(Boolean);
    if (crumbs.length) clauseView.appendChild(h('div', { class: 'crumbs', text: crumbs.join(' › ') }));
    const heading = h('h3', { class: 'clause-title', tabindex: '-1' }, [str(c.label), str(c.title)].filter(Boolean).join(' '));
    clauseView.appendChild(heading);
    clauseView.appendChild(
      h('div', { class: 'clause-badges' },
        c.kind ? h('span', { class: 'badge kind', title: str(c.kind), text: KIND_TEXT[str(c.kind)] || str(c.kind) }) : null,
        validityBadge(c.validity),
        h('span', { class: 'small muted', text: str(c.clause_id) })),
    );
    const notice = lapsedNotice(c.validity);
    if (notice) clauseView.appendChild(notice);
    clauseView.appendChild(h('div', { class: 'clause-text', text: str(c.text) }));

    const facts = h('dl', { class: 'facts' });
    const fact = (dt, dd) => {
      if (dd === null || dd === undefined || dd === '' || (Array.isArray(dd) && !dd.length)) return;
      facts.appendChild(h('dt', { text: dt }));
      facts.appendChild(h('dd', null, Array.isArray(dd) ? dd.map(str).join('、') : dd));
    };
    fact('责任领导', arr(c.leaders));
    fact('牵头处室（单位）', arr(c.lead_units));
    fact('配合处室（单位）', arr(c.coop_units));
    const periods = arr(c.periods).filter((p) => p && typeof p === 'object');
    if (periods.length) {
      fact('执行期限', h('ul', null, periods.map((p) => {
        const range = [str(p.start_date), str(p.end_date)].some(Boolean) ? '（' + (str(p.start_date) || '…') + ' 至 ' + (str(p.end_date) || '…') + '）' : '';
        const kind = p.kind ? '［' + (PERIOD_KIND_TEXT[str(p.kind)] || str(p.kind)) + '］' : '';
        return h('li', null, kind + str(p.text) + range);
      })));
    }
    if (c.validity && typeof c.validity === 'object') {
      const v = c.validity;
      fact('有效性', [v.period ? '期限：' + str(v.period) : '', v.as_of ? '判断日期：' + str(v.as_of) : '', str(v.note)].filter(Boolean).join('；'));
    }
    fact('所在文件', docTitles.has(docId) ? '《' + docTitles.get(docId) + '》（' + docId + '）' : docId);
    if (Number.isInteger(c.start) && Number.isInteger(c.end)) fact('原文位置', '第 ' + c.start + '–' + c.end + ' 字符');
    if (c.extra && typeof c.extra === 'object') {
      for (const [k, v] of Object.entries(c.extra)) fact(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    if (facts.childNodes.length) clauseView.appendChild(facts);

    const nav = h('nav', { class: 'clause-nav', 'aria-label': '条文导航' },
      navButton('← 上一条：', data.prev, docId),
      navButton('↑ 上级：', data.parent, docId),
      navButton('下一条 → ', data.next, docId));
    const copy = h('button', { type: 'button', class: 'secondary' }, '复制本条');
    copy.addEventListener('click', async () => {
      const ok = await copyText([str(c.label), str(c.title)].filter(Boolean).join(' ') + '\n' + str(c.text));
      copy.textContent = ok ? '已复制' : '复制失败';
      setTimeout(() => (copy.textContent = '复制本条'), 1500);
    });
    nav.appendChild(copy);
    clauseView.appendChild(nav);

    const children = arr(data.children).filter((x) => x && x.clause_id);
    if (children.length) {
      clauseView.appendChild(h('p', { class: 'small muted', text: '下级条款：' }));
      const ul = h('ul', { class: 'children' });
      for (const child of children) {
        const b = h('button', { type: 'button', class: 'link' }, [str(child.label), str(child.title)].filter(Boolean).join(' '));
        b.addEventListener('click', () => openClause(docId, str(child.clause_id)));
        ul.appendChild(h('li', null, b));
      }
      clauseView.appendChild(ul);
    }
    heading.focus({ preventScroll: true });
  }

  // ------------------------------------------------------------------ copy

  /** The widget's clipboard copy (Clipboard API where allowed, else the hidden-textarea fallback): one copy of it. */
  function copyText(text) {
    return window.PolicyQA && window.PolicyQA.copyText ? window.PolicyQA.copyText(text) : Promise.resolve(false);
  }

  // ------------------------------------------------------------------ ask

  const askForm = $('#ask-form');
  const askInput = $('#ask-input');
  const askResult = $('#ask-result');
  const askSubmit = $('#ask-submit');
  const askCount = $('#ask-count');
  const copyButton = $('#copy-answer');
  const copyStatus = $('#copy-status');
  const STATUS_TEXT = { answered: '已回答', clarify: '需要补充信息', no_answer: '无法回答', invalid: '问题无效' };
  let askSession = null;
  let lastAnswer = null;
  let askSeq = 0;

  askInput.addEventListener('input', () => {
    const n = askInput.value.length;
    askCount.textContent = n + '/' + MAX_QUESTION;
    askCount.classList.toggle('near', n >= MAX_QUESTION - 50);
  });
  askInput.addEventListener('keydown', (e) => {
    // Enter while a Chinese IME is composing chooses a candidate; it must not submit.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      askForm.requestSubmit ? askForm.requestSubmit() : doAsk();
    }
  });
  askForm.addEventListener('submit', (e) => {
    e.preventDefault();
    doAsk();
  });
  $('#ask-new').addEventListener('click', () => {
    askSession = null;
    lastAnswer = null;
    copyButton.disabled = true;
    copyStatus.textContent = '已开始新会话';
    clear(askResult);
    askInput.focus();
  });

  async function doAsk() {
    const question = askInput.value.trim().slice(0, MAX_QUESTION);
    if (!question || askSubmit.disabled) return;
    const seq = ++askSeq;
    askSubmit.disabled = true;
    askSubmit.textContent = '回答中…';
    copyStatus.textContent = '';
    clear(askResult).appendChild(h('p', { class: 'muted', text: '正在查找政策原文…' }));
    try {
      const a = await api('api/chat', { method: 'POST', body: { question, session_id: askSession, as_of: $('#ask-asof').value || null } });
      if (seq !== askSeq) return;
      if (a && a.session_id) askSession = str(a.session_id);
      lastAnswer = a;
      renderAnswer(a || {});
      copyButton.disabled = !(a && a.answer);
    } catch (err) {
      if (seq !== askSeq) return;
      lastAnswer = null;
      copyButton.disabled = true;
      clear(askResult).appendChild(errorBox(err));
    } finally {
      if (seq === askSeq) {
        askSubmit.disabled = false;
        askSubmit.textContent = '提问';
      }
    }
  }

  function renderAnswer(a) {
    clear(askResult);
    const status = str(a.status);
    const meta = [];
    if (a.intent) meta.push('意图：' + str(a.intent));
    if (typeof a.timing_ms === 'number') meta.push('用时 ' + Math.round(a.timing_ms) + ' ms');
    if (a.index_version) meta.push('索引 ' + str(a.index_version));
    askResult.appendChild(
      h('div', { class: 'answer-head' },
        h('span', { class: 'badge st-' + status, text: STATUS_TEXT[status] || status || '—' }),
        h('span', { text: meta.join(' · ') })),
    );
    if (window.PolicyQA && window.PolicyQA.renderAnswer) {
      askResult.appendChild(window.PolicyQA.renderAnswer(a, {
        onClause: (c) => openClause(str(c.doc_id), str(c.clause_id), { scroll: true }),
        expandQuotes: true,
        copy: false,
        theme: 'light',
      }));
    } else {
      askResult.appendChild(errorBox('回答组件（widget.js）未能加载，请刷新页面。'));
    }
    if (status === 'no_answer') askResult.appendChild(h('p', { class: 'notice info', text: '文件中没有找到依据：请如实告知来电人，必要时转相关业务处室。' }));
    if (status === 'clarify' && arr(a.missing).length) {
      askResult.appendChild(h('p', { class: 'small muted', text: '缺少的信息：' + arr(a.missing).map(str).join('、') }));
    }
  }

  copyButton.addEventListener('click', async () => {
    if (!lastAnswer) return;
    const ok = await copyText(window.PolicyQA ? window.PolicyQA.answerText(lastAnswer) : str(lastAnswer.answer));
    copyStatus.textContent = ok ? '已复制答案及引用' : '复制失败，请手动选择文本复制';
  });

  // ------------------------------------------------------------------ calculator

  const calcForm = $('#calc-form');
  const calcRule = $('#calc-rule');
  const calcParams = $('#calc-params');
  const calcResult = $('#calc-result');
  const calcSubmit = $('#calc-submit');
  let rules = [];

  /** A choice may arrive as "x", 3, {value, label} or [value, label]. */
  function choiceOf(c) {
    if (c && typeof c === 'object' && !Array.isArray(c)) return { value: str(c.value !== undefined ? c.value : c.name), label: str(c.label !== undefined ? c.label : c.value) };
    if (Array.isArray(c)) return { value: str(c[0]), label: str(c.length > 1 ? c[1] : c[0]) };
    return { value: str(c), label: str(c) };
  }

  // 'count' is what the rules files call head counts (参保职工人数, 招用人数)
  const INT_TYPES = ['int', 'integer', 'count'];
  const NUMBER_TYPES = ['number', 'float', 'decimal', 'money', 'amount', 'number_or_null'];
  const BOOL_TYPES = ['bool', 'boolean', 'flag'];

  /** One form control for a rule parameter; its data-kind tells how to read the value back. */
  function paramField(p, idPrefix, forceOptional) {
    const name = str(p.name);
    const type = str(p.type).toLowerCase();
    const required = !!p.required && !forceOptional;
    const id = idPrefix + name;
    let control;
    let kind = 'text';
    const choices = arr(p.choices);
    let extra = null;
    if (choices.length && p.free_text) {
      // the listed values are suggestions: other words the rules know (a synonym) are accepted too
      control = h('input', { id, type: 'text', autocomplete: 'off', list: id + '-list' });
      extra = h('datalist', { id: id + '-list' }, choices.map(choiceOf).map((c) => h('option', { value: c.value }, c.label)));
    } else if (choices.length) {
      kind = INT_TYPES.includes(type) || NUMBER_TYPES.includes(type) ? 'number' : BOOL_TYPES.includes(type) ? 'bool' : 'text';
      control = h('select', { id });
      control.appendChild(h('option', { value: '' }, required ? '请选择' : '（不填）'));
      for (const c of choices.map(choiceOf)) control.appendChild(h('option', { value: c.value }, c.label));
    } else if (BOOL_TYPES.includes(type)) {
      kind = 'bool';
      control = h('select', { id }, h('option', { value: '' }, required ? '请选择' : '（不填）'), h('option', { value: 'true' }, '是'), h('option', { value: 'false' }, '否'));
    } else if (INT_TYPES.includes(type)) {
      kind = 'int';
      control = h('input', { id, type: 'number', step: '1', min: '0', inputmode: 'numeric' });
    } else if (NUMBER_TYPES.includes(type)) {
      kind = 'number';
      control = h('input', { id, type: 'number', step: 'any', min: '0', inputmode: 'decimal' });
    } else if (type === 'date') {
      control = h('input', { id, type: 'date' });
    } else {
      control = h('input', { id, type: 'text', autocomplete: 'off' });
    }
    control.setAttribute('data-param', name);
    control.setAttribute('data-kind', kind);
    control.setAttribute('name', name);
    if (required) control.setAttribute('aria-required', 'true');
    return h('label', { for: id },
      h('span', null, str(p.label) || name, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
        p.unit ? h('span', { class: 'unit', text: '（' + str(p.unit) + '）' }) : null),
      control, extra);
  }

  /** Read filled controls into a params object; empty fields are left out for the server to judge. */
  function readParams(container) {
    const out = {};
    for (const el of container.querySelectorAll('[data-param]')) {
      const raw = el.value.trim();
      if (raw === '') continue;
      const kind = el.getAttribute('data-kind');
      let value = raw;
      if (kind === 'bool') value = raw === 'true';
      else if (kind === 'int' || kind === 'number') {
        const n = Number(raw);
        value = Number.isFinite(n) ? n : raw; // a bad value goes through so the server can name it
      }
      out[el.getAttribute('data-param')] = value;
    }
    return out;
  }

  function renderRuleForm() {
    clear(calcParams);
    const rule = rules.find((r) => str(r.rule_id) === calcRule.value);
    const info = $('#calc-rule-info');
    clear(info);
    if (!rule) return;
    if (rule.clause_id) {
      const b = h('button', { type: 'button', class: 'link' }, '依据 ' + str(rule.clause_id));
      b.addEventListener('click', () => openClause('', str(rule.clause_id)));
      info.appendChild(b);
    }
    const params = arr(rule.parameters);
    if (!params.length) calcParams.appendChild(h('p', { class: 'small muted', text: '此规则无需填写参数。' }));
    for (const p of params) if (p && p.name) calcParams.appendChild(paramField(p, 'calc-p-', false));
  }
  calcRule.addEventListener('change', () => {
    renderRuleForm();
    clear(calcResult);
  });

  calcForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ruleId = calcRule.value;
    if (!ruleId) {
      clear(calcResult).appendChild(errorBox('请先选择计算规则。'));
      return;
    }
    calcSubmit.disabled = true;
    clear(calcResult).appendChild(h('p', { class: 'muted', text: '计算中…' }));
    try {
      const out = await api('api/calc', { method: 'POST', body: { rule_id: ruleId, params: readParams(calcParams), as_of: $('#calc-asof').value || null } });
      renderCalc(out || {});
    } catch (err) {
      clear(calcResult).appendChild(errorBox(err));
    } finally {
      calcSubmit.disabled = false;
    }
  });

  function outcomeError(err) {
    if (!err) return '无法计算。';
    if (typeof err === 'string') return err;
    if (typeof err === 'object') return str(err.message) || str(err.code) || '无法计算。';
    return str(err);
  }

  function amountLine(amount, unit, isCap, upper) {
    if (amount === null || amount === undefined) return null;
    // a range the document states (罚款 1倍以上3倍以下): both ends
    const shown = formatAmount(amount) + (upper === null || upper === undefined ? '' : ' 至 ' + formatAmount(upper));
    return h('p', { class: 'amount' }, (isCap ? '最高 ' : '') + shown, h('small', { text: str(unit || '元') }));
  }

  function renderCalc(out) {
    clear(calcResult);
    calcResult.appendChild(h('div', { class: 'answer-head' }, h('strong', { text: str(out.title) || str(out.rule_id) }), validityBadge(out.validity)));
    const notice = lapsedNotice(out.validity);
    if (notice) calcResult.appendChild(notice);
    if (out.ok === false || !out.calculation) {
      calcResult.appendChild(errorBox(outcomeError(out.error)));
    } else {
      const calc = out.calculation;
      append(calcResult, [
        amountLine(calc.amount, calc.unit, calc.is_cap, calc.amount_max),
        formulaBox(calc),
        subList('需要满足的条件', calc.conditions),
        subList('不能同时享受', calc.exclusions),
      ]);
    }
    if (out.amount_stated !== undefined && out.amount_stated !== null && typeof out.amount_stated !== 'boolean') {
      calcResult.appendChild(h('p', { class: 'small muted', text: '文件所列标准：' + (typeof out.amount_stated === 'number' ? formatAmount(out.amount_stated) : str(out.amount_stated)) }));
    }
    const cites = citationList(out.citations, 'calc-cite');
    if (cites) calcResult.appendChild(cites);
  }

  // ------------------------------------------------------------------ matcher

  const matchForm = $('#match-form');
  const matchResult = $('#match-result');
  const matchSubmit = $('#match-submit');

  function fillSelect(select, choices, emptyLabel) {
    const keep = select.value;
    clear(select).appendChild(h('option', { value: '' }, emptyLabel || '（不填）'));
    for (const c of choices.map(choiceOf)) select.appendChild(h('option', { value: c.value }, c.label));
    select.value = keep;
  }

  /**
   * The profile form, from the rule book: GET /api/rules' `profile.fields` when the server describes the
   * profile, else every rule's parameters (those several rules ask for first, the rest under 更多条件).
   */
  function buildMatchForm(data) {
    const main = $('#match-fields');
    const extra = $('#match-extra');
    clear(main);
    clear(extra);
    const profile = data && data.profile && typeof data.profile === 'object' ? arr(data.profile.fields) : [];
    let primary = profile.filter((f) => f && f.name);
    let more = [];
    if (!primary.length) {
      const uses = new Map();
      for (const r of rules) {
        for (const p of arr(r.parameters)) {
          if (!p || !p.name) continue;
          const name = str(p.name);
          const seen = uses.get(name);
          if (seen) seen.count += 1;
          else uses.set(name, { p, count: 1 });
        }
      }
      const all = [...uses.values()];
      primary = all.filter((u) => u.count > 1 || arr(u.p.choices).length).map((u) => u.p);
      more = all.filter((u) => !primary.includes(u.p)).map((u) => u.p);
    }
    for (const f of primary) main.appendChild(paramField(f, 'm-', true));
    for (const f of more) extra.appendChild(paramField(f, 'm-x-', true));
    $('#match-more').hidden = !more.length;
    $('#match-info').textContent = primary.length
      ? '按所填情况匹配规则库中的措施；不填的项目不作判断。'
      : '规则库没有描述企业情况的字段，无法匹配。';
  }

  matchForm.addEventListener('reset', () => setTimeout(() => clear(matchResult), 0));
  matchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    matchSubmit.disabled = true;
    clear(matchResult).appendChild(h('p', { class: 'muted', text: '匹配中…' }));
    try {
      const out = await api('api/match', { method: 'POST', body: { profile: readParams(matchForm), as_of: $('#match-asof').value || null } });
      renderMatch(out || {});
    } catch (err) {
      clear(matchResult).appendChild(errorBox(err));
    } finally {
      matchSubmit.disabled = false;
    }
  });

  function renderMatch(out) {
    clear(matchResult);
    const measures = arr(out.measures).filter((m) => m && typeof m === 'object');
    const titles = new Map(rules.map((r) => [str(r.rule_id), str(r.title)]));
    for (const m of measures) titles.set(str(m.rule_id), str(m.title));
    matchResult.appendChild(h('p', { class: 'status', role: 'status', text: measures.length ? '可能适用的措施 ' + measures.length + ' 项' : '按所填情况，没有匹配到可享受的措施。' }));

    const choices = arr(out.choices).filter((c) => Array.isArray(c) && c.length >= 2);
    if (choices.length) {
      const box = h('div', { class: 'notice info choices' }, h('strong', { text: '以下措施不能同时享受，需择一：' }));
      box.appendChild(h('ul', null, choices.map((pair) => h('li', null, pair.map((id) => titles.get(str(id)) || str(id)).join(' 或 ')))));
      matchResult.appendChild(box);
    }
    for (const note of [].concat(typeof out.note === 'string' ? [out.note] : [], arr(out.notes))) {
      if (typeof note === 'string' && note) matchResult.appendChild(h('p', { class: 'small muted', text: note }));
    }

    const list = h('ul', { class: 'measures' });
    measures.forEach((m, i) => {
      const lapsed = m.lapsed === true;
      const item = h('li', { class: 'measure' + (lapsed ? ' is-lapsed' : ''), 'data-rule-id': str(m.rule_id) },
        h('h3', null, str(m.title) || str(m.rule_id), lapsed ? h('span', { class: 'badge lapsed', text: '已过期' }) : null),
        amountLine(m.amount, m.unit, m.is_cap),
        m.formula ? h('div', { class: 'formula-box' }, h('div', { class: 'label', text: '计算方法' }), h('div', { class: 'formula', text: str(m.formula) })) : null,
        subList('需要满足的条件', m.conditions));
      const cites = citationList(m.citations, 'match-cite-' + i);
      if (cites) {
        const det = h('details', null, h('summary', { text: '政策依据（' + arr(m.citations).length + ' 条）' }), cites);
        item.appendChild(det);
      }
      list.appendChild(item);
    });
    if (measures.length) matchResult.appendChild(list);
  }

  // ------------------------------------------------------------------ citizens' feedback

  const fbForm = $('#fb-form');
  const fbList = $('#fb-list');
  const fbStatus = $('#fb-status');
  const VERDICT_TEXT = { true: '有帮助', false: '没帮助' };

  function feedbackParams() {
    return {
      verdict: $('#fb-verdict').value,
      q: $('#fb-q').value.trim(),
      doc_id: $('#fb-doc').value,
      since: $('#fb-since').value,
      until: $('#fb-until').value,
    };
  }

  async function loadFeedback() {
    fbStatus.textContent = '加载中…';
    try {
      const d = await api('api/feedback', { params: feedbackParams() });
      renderFeedbackList(arr(d && d.items), Number(d && d.total) || 0);
    } catch (err) {
      clear(fbList);
      fbStatus.textContent = '';
      fbList.appendChild(h('li', null, errorBox(err)));
    }
  }

  function renderFeedbackList(items, total) {
    clear(fbList);
    fbStatus.textContent = items.length
      ? '共 ' + total + ' 条' + (total > items.length ? '，显示最新 ' + items.length + ' 条' : '')
      : '没有符合条件的反馈。';
    for (const it of items) {
      if (!it || typeof it !== 'object') continue;
      const when = str(it.created_at).replace('T', ' ').slice(0, 16);
      const cites = arr(it.citations).filter((c) => c && typeof c === 'object');
      const li = h('li', { class: 'fb-item', 'data-testid': 'fb-item' },
        h('div', { class: 'fb-head' },
          h('span', { class: 'badge ' + (it.helpful ? 'valid' : 'lapsed'), text: VERDICT_TEXT[String(!!it.helpful)] }),
          h('time', { text: when }),
          h('span', { class: 'small muted', text: [str(it.intent), str(it.status), str(it.index_version)].filter(Boolean).join(' · ') })),
        h('p', { class: 'fb-q' }, h('strong', { text: '问：' }), str(it.question)),
        h('p', { class: 'fb-a' }, h('strong', { text: '答：' }), str(it.answer)),
        arr(it.comments).length ? h('p', { class: 'fb-c' }, h('strong', { text: '意见：' }), arr(it.comments).map(str).join(' / ')) : null,
        cites.length ? h('ul', { class: 'fb-cites' }, cites.map((c) => {
          const b = h('button', { type: 'button', class: 'link' }, '[' + str(c.n) + '] ' + [str(c.document), str(c.label)].filter(Boolean).join(' '));
          b.addEventListener('click', () => openClause(str(c.doc_id), str(c.clause_id), { scroll: true }));
          return h('li', null, b);
        })) : null);
      fbList.appendChild(li);
    }
  }

  fbForm.addEventListener('submit', (e) => {
    e.preventDefault();
    loadFeedback();
  });
  for (const id of ['#fb-verdict', '#fb-doc', '#fb-since', '#fb-until']) $(id).addEventListener('change', loadFeedback);

  // The export needs the staff key header, so it is fetched and handed to the browser as a file.
  $('#fb-csv').addEventListener('click', async () => {
    const url = new URL('api/feedback.csv', API_BASE);
    for (const [k, v] of Object.entries(feedbackParams())) if (v) url.searchParams.set(k, v);
    const headers = {};
    const key = apiKeyInput.value.trim();
    if (key) headers['X-API-Key'] = key;
    fbStatus.textContent = '正在导出…';
    try {
      const res = await fetch(url.href, { headers });
      if (!res.ok) throw new ApiError(res.status === 401 ? '需要有效的 API 密钥（页面右上角填写）。' : '导出失败（HTTP ' + res.status + '）。', 'http_' + res.status, res.status);
      const blob = await res.blob();
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
      const a = h('a', { href: URL.createObjectURL(blob), download: name ? name[1] : 'feedback.csv' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      fbStatus.textContent = '已导出 CSV。';
    } catch (err) {
      fbStatus.textContent = describe(err);
    }
  });

  // ------------------------------------------------------------------ documents and upload

  const docsBody = $('#docs-table tbody');
  const uploadForm = $('#upload-form');
  const uploadFile = $('#upload-file');
  const uploadSubmit = $('#upload-submit');
  const jobBox = $('#upload-job');
  const STAGE_TEXT = {
    queued: '排队中', checking: '正在检查文件', embedding: '正在向量化新条款', indexing: '正在建立检索索引',
    switching: '正在切换到新版本', done: '完成', refused: '未收录', failed: '失败',
  };
  const JOB_POLL_MS = 500;
  // 429 while parts stream in: wait as the server says, a few times at most
  const PART_RETRIES = 5;

  function renderDocuments(docs) {
    clear(docsBody);
    for (const d of docs) {
      if (!d || !d.doc_id) continue;
      const cov = typeof d.coverage === 'number' ? d.coverage : null;
      const warn = arr(d.warnings).filter(Boolean);
      docsBody.appendChild(h('tr', { 'data-testid': 'doc-row', 'data-doc-id': str(d.doc_id) },
        h('td', null,
          h('div', { class: 'doc-title', text: str(d.title) }),
          h('div', { class: 'small muted', text: [str(d.doc_number), str(d.doc_id)].filter(Boolean).join(' · ') })),
        h('td', { 'data-label': '类型' }, [str(d.kind), str(d.form)].filter(Boolean).join(' · ') || '—'),
        h('td', { 'data-label': '发文' }, [str(d.issuer), str(d.issue_date)].filter(Boolean).join(' · ') || '—'),
        h('td', { 'data-label': '结构' }, h('div', { text: str(d.structure) }), h('div', { class: 'small muted', text: arr(d.counts).map(str).join('、') })),
        h('td', { class: 'num', 'data-label': '条款', text: String(d.clause_count ?? '') }),
        h('td', { class: 'num', 'data-label': '覆盖率' },
          h('span', { class: 'badge ' + (cov !== null && cov >= 0.999 && !warn.length ? 'valid' : 'lapsed'), title: warn.join('\n'), text: cov === null ? '—' : (cov * 100).toFixed(1) + '%' }),
          warn.length ? h('div', { class: 'small muted', text: warn.join('；') }) : null)));
    }
  }

  async function putPart(path, blob) {
    for (let attempt = 0; ; attempt++) {
      const headers = { 'Content-Type': 'application/octet-stream' };
      const key = apiKeyInput.value.trim();
      if (key) headers['X-API-Key'] = key;
      const res = await fetch(new URL(path, API_BASE).href, { method: 'PUT', headers, body: blob });
      if (res.ok) return;
      if (res.status === 429 && attempt < PART_RETRIES) {
        const wait = Number(res.headers.get('retry-after')) || 1;
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      let message = '上传失败（HTTP ' + res.status + '）。';
      try {
        const d = await res.json();
        if (d && d.error && d.error.message) message = str(d.error.message);
      } catch (_) {
        /* not JSON */
      }
      throw new ApiError(message, 'http_' + res.status, res.status);
    }
  }

  function showJob(job) {
    jobBox.hidden = false;
    $('#job-file').textContent = str(job.filename);
    $('#job-stage').textContent = STAGE_TEXT[str(job.stage)] || str(job.stage);
    $('#job-progress').value = Math.round((Number(job.progress) || 0) * 100);
    const msg = $('#job-message');
    const doc = job.document && typeof job.document === 'object' ? job.document : null;
    const facts = doc ? '识别为' + str(doc.structure) + '，' + arr(doc.counts).map(str).join('、') + '，覆盖 ' + ((Number(doc.coverage) || 0) * 100).toFixed(1) + '%。' : '';
    msg.textContent = [str(job.message), facts].filter(Boolean).join(' ');
    msg.className = 'small ' + (job.stage === 'refused' || job.stage === 'failed' ? 'notice err' : job.stage === 'done' ? 'notice info' : 'muted');
    jobBox.setAttribute('data-stage', str(job.stage));
  }

  uploadForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = uploadFile.files && uploadFile.files[0];
    if (!file) {
      showJob({ filename: '', stage: 'refused', message: '请先选择要上传的文件。' });
      return;
    }
    uploadSubmit.disabled = true;
    try {
      showJob({ filename: file.name, stage: 'queued', progress: 0, message: '正在上传…' });
      const ticket = await api('api/documents/uploads', { method: 'POST', body: { filename: file.name, size: file.size } });
      const size = Number(ticket.part_bytes);
      for (let n = 0; n < ticket.parts; n++) {
        await putPart('api/documents/uploads/' + encodeURIComponent(ticket.upload_id) + '/parts/' + n, file.slice(n * size, (n + 1) * size));
        // the upload is the first tenth of the bar; the build the rest
        showJob({ filename: file.name, stage: 'queued', progress: (0.1 * (n + 1)) / ticket.parts, message: '已上传 ' + (n + 1) + '/' + ticket.parts + ' 片' });
      }
      let job = await api('api/documents/uploads/' + encodeURIComponent(ticket.upload_id) + '/commit', { method: 'POST' });
      showJob(job);
      while (!['done', 'refused', 'failed'].includes(str(job.stage))) {
        await new Promise((r) => setTimeout(r, JOB_POLL_MS));
        job = await api('api/documents/jobs/' + encodeURIComponent(str(job.job_id)));
        showJob(job);
      }
      if (job.stage === 'done') {
        uploadForm.reset();
        await loadReferenceData();
        checkReady();
      }
    } catch (err) {
      showJob({ filename: file.name, stage: 'refused', message: describe(err) });
    } finally {
      uploadSubmit.disabled = false;
    }
  });

  // ------------------------------------------------------------------ reference data, readiness

  async function loadReferenceData() {
    try {
      const d = await api('api/documents');
      const select = filters.doc_id;
      const keep = select.value;
      clear(select).appendChild(h('option', { value: '' }, '全部文件'));
      const fbDoc = $('#fb-doc');
      const keepFb = fbDoc.value;
      clear(fbDoc).appendChild(h('option', { value: '' }, '全部文件'));
      for (const doc of arr(d && d.documents)) {
        if (!doc || !doc.doc_id) continue;
        docTitles.set(str(doc.doc_id), str(doc.title));
        const label = (doc.doc_number ? str(doc.doc_number) + ' ' : '') + str(doc.title);
        select.appendChild(h('option', { value: str(doc.doc_id) }, label));
        fbDoc.appendChild(h('option', { value: str(doc.doc_id) }, label));
      }
      select.value = keep;
      fbDoc.value = keepFb;
      renderDocuments(arr(d && d.documents));
    } catch (err) {
      // search still works over all documents
      clear(docsBody).appendChild(h('tr', null, h('td', { colspan: '6' }, errorBox(err))));
    }
    try {
      const d = await api('api/rules');
      rules = arr(d && d.rules).filter((r) => r && r.rule_id);
      const keep = calcRule.value;
      clear(calcRule).appendChild(h('option', { value: '' }, rules.length ? '请选择计算规则' : '（没有可用的计算规则）'));
      for (const r of rules) calcRule.appendChild(h('option', { value: str(r.rule_id) }, str(r.title) || str(r.rule_id)));
      calcRule.value = keep;
      if (!calcRule.value && rules.length) calcRule.value = str(rules[0].rule_id);
      renderRuleForm();
      buildMatchForm(d);
    } catch (err) {
      clear(calcRule).appendChild(h('option', { value: '' }, '规则加载失败'));
      clear(calcResult).appendChild(errorBox(err));
    }
  }

  async function checkReady() {
    const badge = $('#ready');
    try {
      const res = await fetch(new URL('readyz', API_BASE).href, { headers: { Accept: 'application/json' } });
      const d = await res.json().catch(() => ({}));
      badge.className = 'ready ' + (res.ok ? 'ok' : 'bad');
      badge.textContent = res.ok ? '服务就绪' + (d.index_version ? ' · 索引 ' + str(d.index_version) : '') : '服务加载中';
    } catch (_) {
      badge.className = 'ready bad';
      badge.textContent = '无法连接服务';
    }
  }

  // ------------------------------------------------------------------ keyboard

  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (typing) return;
    e.preventDefault();
    searchInput.focus();
    searchInput.select();
  });

  loadReferenceData();
  loadFacets();
  loadFeedback();
  checkReady();
})();
