/*
 * policy-qa citizen widget.
 *
 * One tag on any page:  <script src="https://HOST/widget.js" data-title="政策问答助手" defer></script>
 * adds a floating button and a chat panel. Everything lives in a shadow root so the host page's CSS
 * cannot reach in and ours cannot leak out; the only global is the namespaced `window.PolicyQA`.
 *
 * Every string that comes from the server is put into the DOM as text (textContent / text nodes),
 * never parsed as HTML: answers quote public documents, but the service must not be a way to inject
 * markup into somebody else's page.
 *
 * Options (data- attributes on the script tag):
 *   data-title  panel title (default 政策问答助手)
 *   data-api    API base URL override (default: the directory the script was loaded from)
 *   data-mount  "none": add no button or panel, only the answer renderer (the staff console uses it)
 *
 * The answer renderer is the one every face uses: `PolicyQA.renderAnswer(answer, options)` returns an
 * element (its own shadow root, the widget's styles) that shows an `Answer` as the widget does, and
 * `PolicyQA.answerText(answer)` the plain text the copy buttons put on the clipboard.
 *
 * A reload restores the visible conversation: the session id and the turns shown are kept together
 * in one sessionStorage entry of this tab, so the page shows exactly the context the server uses.
 * Where storage is blocked or full, neither is kept and a reload starts afresh on both sides.
 */
(() => {
  'use strict';

  if (window.PolicyQA) return; // included twice: the first copy wins

  const script =
    document.currentScript ||
    document.querySelector('script[src$="/widget.js"], script[src*="/widget.js?"], script[src="widget.js"]');

  const MAX_LEN = 500;
  const FEEDBACK_MAX_LEN = 1000;
  // Long enough for a slow CPU-only retrieval plus an optional LLM; short enough that a hung
  // connection does not leave the send button disabled for ever.
  const REQUEST_TIMEOUT_MS = 90000;
  const SUGGESTIONS_TIMEOUT_MS = 5000;
  const MAX_SUGGESTIONS = 6;
  const HOTLINE = '12333';
  // Drawn icons rather than the 👍/👎 emoji: not every system (kiosks, older Linux/Windows) has a colour emoji font.
  const THUMB_UP = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';
  const THUMB_DOWN = 'M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z';
  const FALLBACK_SUGGESTIONS = [
    '我开饭店，有什么补贴？',
    '招用应届高校毕业生，企业能领多少扩岗补助？',
    '一次性留工培训补助的标准是多少？',
    '灵活就业人员参保还有户籍限制吗？',
    '企业组织职工参加岗前培训有补贴吗？',
  ];

  const TITLE = ((script && script.dataset.title) || '').trim() || '政策问答助手';
  const MOUNT = ((script && script.dataset.mount) || '').trim() !== 'none';
  const API_BASE = resolveApiBase(script);
  const SESSION_KEY = 'policy-qa:chat:' + API_BASE;
  // Restored after a reload; more would slow the first paint and approach the storage quota.
  const MAX_SAVED_TURNS = 20;
  // Wider than this the panel floats; at or below it fills the screen, traps focus and collapses the basis.
  const PHONE_QUERY = '(max-width: 480px)';

  /** The API lives beside the script (same directory), unless data-api says otherwise. */
  function resolveApiBase(el) {
    try {
      const override = el && el.dataset.api;
      if (override) {
        const u = new URL(override, document.baseURI);
        if (u.protocol === 'http:' || u.protocol === 'https:') {
          if (!u.pathname.endsWith('/')) u.pathname += '/';
          return u.href;
        }
      }
      if (el && el.src) {
        const u = new URL('.', el.src);
        // A deployment that serves the file from /static/widget.js still has its API at /api/.
        if (u.pathname.endsWith('/static/')) u.pathname = u.pathname.slice(0, -'static/'.length);
        u.search = '';
        u.hash = '';
        return u.href;
      }
    } catch (_) {
      /* fall through to the page's own origin */
    }
    return new URL('/', location.href).href;
  }

  function apiUrl(path) {
    return new URL(path, API_BASE).href;
  }

  // ---------------------------------------------------------------- small DOM helpers

  /** Create an element; attrs are set with setAttribute (no HTML parsing), children become text nodes. */
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

  function svg(pathD, size) {
    const ns = 'http://www.w3.org/2000/svg';
    const s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('width', String(size));
    s.setAttribute('height', String(size));
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', pathD);
    p.setAttribute('fill', 'currentColor');
    s.appendChild(p);
    return s;
  }

  /** Only http(s) URLs become links; anything else (javascript:, data:, …) stays plain text. */
  function safeHref(raw) {
    try {
      const u = new URL(raw);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function str(v) {
    return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
  }

  function formatAmount(n) {
    if (typeof n !== 'number' || !isFinite(n)) return str(n);
    return new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2 }).format(n);
  }

  let uid = 0;
  function nextId(prefix) {
    uid += 1;
    return 'pqa-' + prefix + '-' + uid;
  }

  // ---------------------------------------------------------------- session and transcript

  /**
   * The session id and the turns on screen, as one record: {session_id, turns: [{question, answer}]}.
   * Written whole on every change, so a reload never finds an id without its turns or turns without
   * their id; when the write fails (storage blocked or full) the stored copy is removed instead.
   */
  const chat = {
    memory: { session_id: null, turns: [] },
    load() {
      try {
        const raw = window.sessionStorage.getItem(SESSION_KEY);
        const rec = raw ? JSON.parse(raw) : null;
        if (rec && typeof rec === 'object' && Array.isArray(rec.turns)) {
          this.memory = {
            session_id: typeof rec.session_id === 'string' ? rec.session_id : null,
            turns: rec.turns.filter((t) => t && typeof t.question === 'string' && t.answer && typeof t.answer === 'object'),
          };
        }
      } catch (_) {
        /* blocked or corrupt: start afresh */
      }
      return this.memory;
    },
    save() {
      try {
        window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(this.memory));
      } catch (_) {
        try {
          window.sessionStorage.removeItem(SESSION_KEY);
        } catch (__) {
          /* storage blocked: the memory copy lives as long as the page */
        }
      }
    },
    sessionId() {
      return this.memory.session_id;
    },
    setSession(id) {
      this.memory.session_id = id || null;
      this.save();
    },
    addTurn(question, answer) {
      this.memory.turns.push({ question, answer });
      this.memory.turns = this.memory.turns.slice(-MAX_SAVED_TURNS);
      this.save();
    },
    reset() {
      this.memory = { session_id: null, turns: [] };
      this.save();
    },
  };

  // ---------------------------------------------------------------- HTTP

  class ApiError extends Error {
    constructor(message, code, status) {
      super(message);
      this.code = code || 'error';
      this.status = status || 0;
    }
  }

  /** Streaming is not on offer (old proxy, 404, no ReadableStream): use the plain endpoint instead. */
  class StreamUnavailable extends Error {}

  async function errorFrom(res) {
    let message = '';
    let code = 'http_' + res.status;
    try {
      const data = await res.json();
      if (data && data.error) {
        message = str(data.error.message);
        code = str(data.error.code) || code;
      } else if (data && typeof data.detail === 'string') {
        message = data.detail;
      }
    } catch (_) {
      /* not JSON */
    }
    if (!message) {
      message =
        res.status === 429
          ? '提问太频繁了，请稍后再试。'
          : res.status >= 500
            ? '服务暂时不可用（HTTP ' + res.status + '），请稍后再试。'
            : '请求未能完成（HTTP ' + res.status + '）。';
    }
    return new ApiError(message, code, res.status);
  }

  function describeFailure(err) {
    if (err instanceof ApiError) return err.message;
    if (err && err.name === 'AbortError') return '等待时间过长，请稍后重试。';
    return '网络连接失败，请检查网络后重试。';
  }

  async function postJSON(path, body, signal) {
    const res = await fetch(apiUrl(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal,
      credentials: 'omit',
    });
    if (!res.ok) throw await errorFrom(res);
    return res.json();
  }

  /**
   * POST /api/chat/stream and feed its server-sent events to `on`. EventSource cannot POST, so the
   * text/event-stream body is parsed here: events are separated by a blank line, fields are
   * `event:` and `data:` (several data lines join with "\n"), lines starting with ':' are comments.
   * Resolves with the final Answer from the `done` event.
   */
  async function streamChat(body, signal, on) {
    let res;
    res = await fetch(apiUrl('api/chat/stream'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal,
      credentials: 'omit',
    });
    if (!res.ok) {
      if (res.status === 404 || res.status === 405 || res.status === 501) throw new StreamUnavailable();
      throw await errorFrom(res);
    }
    const type = res.headers.get('content-type') || '';
    if (!res.body || typeof res.body.getReader !== 'function' || !type.includes('text/event-stream')) {
      throw new StreamUnavailable();
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder('utf-8');
    let buf = '';
    let final = null;

    const dispatch = (block) => {
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (!data.length) return;
      let payload;
      try {
        payload = JSON.parse(data.join('\n'));
      } catch (_) {
        return; // a malformed event is skipped; `done` carries the whole answer anyway
      }
      if (event === 'error') {
        const e = (payload && payload.error) || {};
        throw new ApiError(str(e.message) || '回答生成失败，请稍后再试。', str(e.code));
      }
      if (event === 'done') final = payload;
      else on(event, payload);
    };

    for (;;) {
      const { value, done } = await reader.read();
      if (value) buf += decoder.decode(value, { stream: true });
      if (done) buf += decoder.decode();
      // Normalise CRLF / CR line ends; a trailing lone CR waits in case its LF is in the next chunk.
      buf = buf.replace(/\r\n|\r(?!$)/g, '\n');
      if (done) buf = buf.replace(/\r$/, '\n') + '\n\n';
      let cut;
      while ((cut = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        dispatch(block);
        if (final) {
          reader.cancel().catch(() => {});
          return final;
        }
      }
      if (done) break;
    }
    throw new StreamUnavailable(); // the stream ended without `done`
  }

  // ---------------------------------------------------------------- styles

  // The answer's own look, shared by the widget panel and every other face that renders an Answer.
  const ANSWER_STYLES = `
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root {
  --ink: #1f2933; --muted: #52606d; --faint: #7b8794; --line: #e1e7ef; --line-strong: #c5cfdb;
  --bg: #f4f6f9; --card: #fff; --soft: #f3f7fc; --brand: #1d4f91; --brand-dark: #173f74; --brand-ink: #fff;
  --brand-soft: #e2ecf9; --link: #1d4f91; --quote-bg: #f8fafc; --quote-line: #b9cbe4;
  --warn-bg: #fff4e0; --warn-line: #f0b35a; --warn-ink: #7a4500; --ok-bg: #e8f6ee; --ok-line: #a9dcbf; --ok-ink: #16643a;
  --no-bg: #fdecec; --no-line: #f3b4b4; --no-ink: #8a1c1c; --flash: #ffe9a8;
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 15px; line-height: 1.6; color: var(--ink); font-weight: 400; font-style: normal;
  letter-spacing: normal; text-align: left; text-transform: none; text-indent: 0; word-spacing: normal;
  white-space: normal; direction: ltr; cursor: auto; visibility: visible;
  -webkit-text-size-adjust: 100%;
}
@media (prefers-color-scheme: dark) {
  .root:not([data-theme="light"]) {
    --ink: #e4e8ee; --muted: #a7b1bd; --faint: #8893a0; --line: #36404b; --line-strong: #4a5562;
    --bg: #14181d; --card: #1d232a; --soft: #222b35; --brand: #2f6bbd; --brand-dark: #3d7bd0; --brand-ink: #fff;
    --brand-soft: #24344a; --link: #8ab4f0; --quote-bg: #181e25; --quote-line: #3d5a80;
    --warn-bg: #3d2e12; --warn-line: #8a6420; --warn-ink: #f5cf8e; --ok-bg: #16352a; --ok-line: #2b6b50; --ok-ink: #9fe0bd;
    --no-bg: #3d1d1d; --no-line: #7a3434; --no-ink: #f3b4b4; --flash: #5a4a12;
  }
}
button, textarea, input { font: inherit; color: inherit; letter-spacing: inherit; margin: 0; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

.answer { overflow-wrap: anywhere; }
.kicker { font-size: 12px; font-weight: 600; color: var(--link); margin: 0 0 4px; }
.summary { margin: 0; font-size: 16px; font-weight: 600; line-height: 1.55; }
.summary .badge { margin-left: 6px; vertical-align: 1px; }
.text p { margin: 0 0 6px; white-space: pre-wrap; }
.text p:last-child { margin-bottom: 0; }
.text a { color: var(--link); }
.typing::after { content: "▍"; color: var(--link); animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .typing::after { animation: none; } }

.badge { display: inline-block; font-size: 12px; font-weight: 600; line-height: 1.6; padding: 0 8px; border-radius: 10px;
  border: 1px solid transparent; white-space: nowrap; }
.badge.valid { background: var(--ok-bg); color: var(--ok-ink); border-color: var(--ok-line); }
.badge.lapsed { background: var(--warn-bg); color: var(--warn-ink); border-color: var(--warn-line); }
.badge.unknown { background: var(--soft); color: var(--muted); border-color: var(--line); }

sup { line-height: 0; }
.ref { position: relative; border: 0; background: var(--brand-soft); color: var(--link); font-size: 11px; font-weight: 600;
  border-radius: 4px; padding: 0 3px; margin: 0 1px; line-height: 1.5; }
.ref:hover { filter: brightness(0.95); }

.lapsed-note { margin: 8px 0 0; padding: 6px 10px; border-radius: 8px; background: var(--warn-bg); border: 1px solid var(--warn-line);
  color: var(--warn-ink); font-size: 14px; }
.refusal { margin: 8px 0 0; padding: 7px 10px; border-radius: 8px; background: var(--soft); color: var(--ink); font-size: 14px; }
.refusal a { color: var(--link); font-weight: 700; }

.measures { list-style: none; margin: 8px 0 0; padding: 0; }
.measure { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0 8px; padding: 7px 0; border-top: 1px solid var(--line); }
.measure:first-child { border-top: 0; }
.measure .st { font-size: 12px; font-weight: 700; border-radius: 4px; padding: 0 6px; line-height: 1.7; height: fit-content; white-space: nowrap; }
.measure .st.applies { background: var(--ok-bg); color: var(--ok-ink); }
.measure .st.check { background: var(--soft); color: var(--muted); }
.measure .st.no { background: var(--no-bg); color: var(--no-ink); }
.measure .line { min-width: 0; }
.measure .title { font-weight: 600; }
.measure .amount { font-weight: 700; font-variant-numeric: tabular-nums; }
.measure .formula { display: block; font-size: 13px; color: var(--muted); font-variant-numeric: tabular-nums; }
.measure .note { display: block; font-size: 13px; color: var(--muted); }
.measure .badge { margin-left: 6px; }

.basis-toggle { display: none; }
.basis { margin: 8px 0 0; }
.calc { margin: 10px 0 0; padding: 8px 10px; background: var(--soft); border-left: 4px solid var(--brand); border-radius: 4px; }
.calc .label { font-size: 12px; color: var(--muted); margin: 0 0 2px; }
.formula { font-weight: 600; white-space: pre-wrap; font-variant-numeric: tabular-nums; }
.calc .note { font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.list { margin: 8px 0 0; font-size: 14px; }
.list .label { font-size: 12px; color: var(--muted); margin: 0; }
.list ul { margin: 2px 0 0; padding-left: 20px; }
.list li { margin: 1px 0; }
.validity { margin: 8px 0 0; font-size: 12px; color: var(--muted); }

.cites { margin: 10px 0 0; padding-top: 8px; border-top: 1px dashed var(--line-strong); }
.cites .label { font-size: 12px; color: var(--muted); margin: 0 0 4px; }
.cites ol { list-style: none; margin: 0; padding: 0; }
.cites li { margin: 0 0 4px; border-radius: 6px; }
.cites li.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: var(--flash); } to { background: transparent; } }
.cite-toggle { display: flex; width: 100%; align-items: baseline; gap: 6px; border: 0; background: transparent;
  padding: 3px 2px; text-align: left; font-size: 13px; color: var(--link); border-radius: 6px; }
.cite-toggle:hover { background: var(--soft); }
.cite-toggle .n { font-weight: 700; flex: none; }
.cite-toggle .what { flex: 1; min-width: 0; }
.cite-toggle .doc { font-weight: 600; }
.cite-toggle .chev { flex: none; display: inline-block; transition: transform .15s; }
.cite-toggle[aria-expanded="true"] .chev { transform: rotate(90deg); }
.quote { margin: 2px 0 6px 6px; padding: 6px 10px; border-left: 3px solid var(--quote-line); background: var(--quote-bg); font-size: 13px; }
.quote blockquote { margin: 0; white-space: pre-wrap; color: var(--ink); }
.clause-link { display: inline-flex; align-items: center; margin: 4px 0 0; font-size: 13px; color: var(--link); background: none; border: 0; padding: 0; text-decoration: underline; }

.tools { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 10px 0 0; font-size: 12px; color: var(--muted); }
.tools .grow { flex: 1; }
.tool { border: 1px solid var(--line-strong); background: var(--card); color: var(--muted); border-radius: 14px; padding: 0 10px; height: 26px;
  display: inline-flex; align-items: center; gap: 4px; font-size: 12px; }
.tool:hover { color: var(--link); border-color: var(--link); }
.tool[aria-pressed="true"] { background: var(--brand-soft); border-color: var(--link); color: var(--link); }
.tool:disabled { cursor: default; }
.tools .fb { margin: 0; }
.fb-more { display: flex; gap: 6px; width: 100%; margin-top: 4px; }
.fb-more input { flex: 1; min-width: 0; border: 1px solid var(--line-strong); border-radius: 6px; padding: 3px 8px; font-size: 13px;
  background: var(--card); color: var(--ink); }
.fb-more button { border: 0; background: var(--brand); color: var(--brand-ink); border-radius: 6px; padding: 3px 10px; font-size: 13px; }

@media ${PHONE_QUERY} {
  .basis-toggle { display: flex; align-items: center; gap: 6px; width: 100%; min-height: 44px; margin: 8px 0 0; padding: 0 10px;
    border: 1px solid var(--line-strong); border-radius: 8px; background: var(--soft); color: var(--link); font-size: 15px; text-align: left; }
  .basis-toggle .chev { margin-left: auto; transition: transform .15s; }
  .basis-toggle[aria-expanded="true"] .chev { transform: rotate(90deg); }
  .basis.collapsed { display: none; }
  .cite-toggle { min-height: 44px; align-items: center; font-size: 14px; }
  .clause-link { min-height: 44px; font-size: 15px; }
  /* the inline [n] stays small in the text; its touch area is a 44 px square around it */
  .ref::after { content: ""; position: absolute; left: 50%; top: 50%; width: 44px; height: 44px; transform: translate(-50%, -50%); }
  .tool { height: 44px; min-width: 44px; padding: 0 14px; border-radius: 22px; font-size: 14px; justify-content: center; }
  .fb-more input { min-height: 44px; font-size: 16px; }
  .fb-more button { min-height: 44px; min-width: 64px; font-size: 15px; }
}
`;

  // The panel around the answers: launcher, header, log and composer.
  const STYLES = `
:host { all: initial !important; }
${ANSWER_STYLES}
.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  height: 52px; padding: 0 20px 0 16px; border: 0; border-radius: 26px;
  background: var(--brand); color: var(--brand-ink); font-size: 16px; font-weight: 600;
  box-shadow: 0 6px 20px rgba(16, 42, 84, .35);
}
.launcher:hover, .launcher[aria-expanded="true"] { background: var(--brand-dark); }

.panel {
  position: fixed; right: 20px; bottom: 84px; z-index: 2147483001;
  width: 400px; height: min(680px, calc(100vh - 110px)); max-height: calc(100vh - 110px);
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--card); border-radius: 12px; border: 1px solid var(--line-strong);
  box-shadow: 0 12px 40px rgba(16, 42, 84, .28);
}
.head { display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px; background: var(--brand); color: var(--brand-ink); flex: none; }
.head h2 { margin: 0; flex: 1; font-size: 16px; font-weight: 600; line-height: 1.4; color: var(--brand-ink);
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.icon-btn { border: 0; background: transparent; color: var(--brand-ink); border-radius: 6px;
  min-width: 36px; height: 36px; padding: 0 8px; font-size: 14px; display: inline-flex; align-items: center; justify-content: center; }
.icon-btn:hover { background: rgba(255,255,255,.15); }

.log { flex: 1; overflow-y: auto; padding: 14px 14px 6px; background: var(--bg); overscroll-behavior: contain; }
.welcome { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin-bottom: 12px; }
.welcome p { margin: 0 0 8px; }
.welcome .hint { font-size: 13px; color: var(--muted); }
.sugg { display: flex; flex-direction: column; gap: 6px; margin-top: 6px; }
.sugg button { text-align: left; border: 1px solid var(--quote-line); background: var(--soft); color: var(--link);
  border-radius: 8px; padding: 7px 10px; font-size: 14px; line-height: 1.5; }
.sugg button:hover { background: var(--brand-soft); }

.msg { margin: 0 0 12px; max-width: 100%; overflow-wrap: anywhere; word-break: normal; }
.user { margin-left: 48px; background: var(--brand); color: var(--brand-ink); border-radius: 12px 12px 2px 12px;
  padding: 8px 12px; white-space: pre-wrap; }
.bot { margin-right: 12px; background: var(--card); border: 1px solid var(--line); border-radius: 12px 12px 12px 2px; padding: 10px 12px; }
.bot[data-status="no_answer"], .bot[data-status="invalid"] { background: var(--card); }
.bot[data-status="clarify"] { border-color: var(--quote-line); }
.waiting { color: var(--muted); font-size: 14px; margin: 0; }
.notice { margin: 0 0 10px; font-size: 13px; color: var(--muted); text-align: center; }
.restored { margin: 0 0 12px; font-size: 12px; color: var(--faint); text-align: center; }
.err { margin: 0 0 12px; padding: 8px 12px; border-radius: 8px; background: var(--no-bg); border: 1px solid var(--no-line); color: var(--no-ink); font-size: 14px; }

.composer { flex: none; border-top: 1px solid var(--line); padding: 8px 10px 6px; background: var(--card); }
.row { display: flex; gap: 8px; align-items: flex-end; }
.composer textarea { flex: 1; min-width: 0; resize: none; height: 64px; border: 1px solid var(--line-strong); border-radius: 8px;
  padding: 6px 10px; font-size: 16px; line-height: 1.5; background: var(--card); color: var(--ink); }
.composer textarea:focus { border-color: var(--brand); outline: none; box-shadow: 0 0 0 2px rgba(29,79,145,.25); }
.send { flex: none; height: 44px; padding: 0 16px; border: 0; border-radius: 8px; background: var(--brand); color: var(--brand-ink); font-weight: 600; }
.send:disabled { opacity: .55; cursor: not-allowed; }
.meta { display: flex; justify-content: space-between; gap: 8px; font-size: 11px; color: var(--faint); margin-top: 3px; }
.counter.near { color: #b45309; font-weight: 600; }

@media ${PHONE_QUERY} {
  .panel { left: 0; right: 0; top: 0; bottom: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; border: 0; }
  .launcher { right: 14px; bottom: 14px; }
  .icon-btn { min-width: 44px; height: 44px; }
  .sugg button { min-height: 44px; font-size: 15px; }
  .user { margin-left: 28px; }
  .bot { margin-right: 0; }
}
`;

  // ---------------------------------------------------------------- the answer renderer (every face)

  const STATUS_TEXT = { applies: '可享受', check: '需核实', no: '不符合' };
  const FIRST_SENTENCE = /^[\s\S]*?(?:[。！？!?](?![”’）)])|\n|$)/;
  const MARKERS = /\[\d{1,3}\]/g;
  const LAPSE_WORDS = /已过期|已失效|过期失效|已于.{0,20}到期/;

  function validityBadge(v) {
    if (!v || typeof v !== 'object') return null;
    const note = str(v.note);
    if (v.lapsed === true) return h('span', { class: 'badge lapsed', 'data-testid': 'pqa-badge', title: note }, '已过期');
    if (v.lapsed === false) return h('span', { class: 'badge valid', 'data-testid': 'pqa-badge', title: note }, '在有效期内');
    return h('span', { class: 'badge unknown', 'data-testid': 'pqa-badge', title: note }, '未注明期限');
  }

  /** How a citation names its source: the 文号 or 《title》 the server gives, never an internal id. */
  function citedDocument(c) {
    if (c.document) return str(c.document);
    const title = str(c.title).split(' · ')[0];
    return title ? '《' + title + '》' : '';
  }

  /** The public page of the whole clause, the quoted span marked. */
  function clauseHref(c) {
    const id = str(c.clause_id);
    const hash = id.indexOf('#');
    const docId = str(c.doc_id) || (hash > 0 ? id.slice(0, hash) : '');
    const path = hash === -1 ? id : id.slice(hash + 1);
    if (!docId || !path) return null;
    const u = new URL('clause/' + encodeURIComponent(docId) + '/' + path.split('/').map(encodeURIComponent).join('/'), API_BASE);
    if (Number.isInteger(c.start) && Number.isInteger(c.end) && c.end > c.start) {
      u.searchParams.set('s', String(c.start));
      u.searchParams.set('e', String(c.end));
    }
    u.hash = 'quote';
    return u.href;
  }

  /** The answer text split into its conclusion (shown first) and the rest (the basis). */
  function splitConclusion(a) {
    const text = str(a.answer).trim();
    const summary = str(a.summary).trim();
    if (!summary || str(a.status) !== 'answered') return { summary: '', rest: text };
    const m = FIRST_SENTENCE.exec(text);
    const first = m ? m[0] : '';
    // markers right after the conclusion's full stop belong to it: the footnotes list them anyway
    if (first && first.replace(MARKERS, '').trim() === summary) return { summary, rest: text.slice(first.length).replace(/^(\s*\[\d{1,3}\])+/, '').trim() };
    return { summary, rest: text };
  }

  /** Plain text of an answer for the clipboard: the answer, then "[n] 文号 label：quote" per citation. */
  function answerText(a) {
    const lines = [str(a.answer).trim()];
    const measures = Array.isArray(a.measures) ? a.measures.filter((m) => m && typeof m === 'object') : [];
    if (measures.length && !lines[0].includes(str(measures[0].title))) {
      for (const m of measures) lines.push('· ' + measureLine(m));
    }
    const cites = Array.isArray(a.citations) ? a.citations.filter((c) => c && typeof c === 'object') : [];
    if (cites.length) {
      lines.push('');
      for (const c of cites) lines.push('[' + str(c.n) + '] ' + [citedDocument(c), str(c.label)].filter(Boolean).join(' ') + '：' + str(c.quote));
    }
    return lines.join('\n');
  }

  function measureLine(m) {
    const parts = [str(m.title), STATUS_TEXT[str(m.status)] || ''];
    if (m.amount !== null && m.amount !== undefined) parts.push(formatAmount(m.amount) + '元');
    if (m.formula) parts.push(str(m.formula));
    if (m.validity && m.validity.lapsed === true) parts.push('已过期');
    return parts.filter(Boolean).join('，');
  }

  /** Clipboard API where allowed (secure context), else the old hidden-textarea copy. */
  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (_) {
      /* permission denied: try the fallback */
    }
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.setAttribute('aria-hidden', 'true');
    ta.style.cssText = 'position:fixed;top:0;left:-9999px;opacity:0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (_) {
      ok = false;
    }
    ta.remove();
    return ok;
  }

  /**
   * An Answer as DOM: the conclusion first (with its validity), the measures one line each, then the
   * basis (the rest of the text, the calculation, the footnotes with their quotes), collapsed behind
   * the conclusion on phones; then copy and, given `onFeedback`, the rating buttons.
   *
   * options: {
   *   onClause(citation)  open a cited clause here (the console's clause view) instead of the public page
   *   expandQuotes        show every quote open (staff)
   *   copy                show the copy button (default true)
   *   feedback(answerId)  the rating bar for this answer, or null
   * }
   */
  function buildAnswer(a, options) {
    const opts = options || {};
    const wrap = h('div', { class: 'answer' });
    const status = str(a.status) || 'answered';
    const citations = Array.isArray(a.citations) ? a.citations.filter((c) => c && typeof c === 'object') : [];
    const byN = new Map(citations.map((c) => [Number(c.n), c]));
    const measures = Array.isArray(a.measures) ? a.measures.filter((m) => m && typeof m === 'object') : [];
    const cid = nextId('c');
    const v = a.validity && typeof a.validity === 'object' ? a.validity : null;
    const { summary, rest } = splitConclusion(a);
    let basis = null;
    let basisToggle = null;

    const reveal = (n) => {
      if (basis && basis.classList.contains('collapsed')) setBasis(true);
      revealCitation(wrap, cid, n);
    };

    if (status === 'clarify') wrap.appendChild(h('p', { class: 'kicker', text: '需要您补充信息' }));
    if (summary) {
      // a list answer dates each measure on its own line; one answer dates its conclusion
      wrap.appendChild(h('p', { class: 'summary', 'data-testid': 'pqa-summary' }, summary, measures.length ? null : validityBadge(v)));
    } else if (v && v.lapsed === true && !measures.length) {
      wrap.appendChild(h('p', { class: 'kicker' }, validityBadge(v)));
    }
    // once: when the answer's own text already says the measure lapsed, the badge beside the conclusion is enough
    if (v && v.lapsed === true && !measures.length && !LAPSE_WORDS.test(str(a.answer))) {
      const why = str(v.note) || (v.period ? '有效期为' + str(v.period) : '已超过文件规定的执行期限');
      wrap.appendChild(h('p', { class: 'lapsed-note', 'data-testid': 'pqa-lapsed', role: 'note' }, '⚠ 该措施已过期：' + why));
    }
    if (measures.length) wrap.appendChild(renderMeasures(measures, byN, cid, reveal));
    if (!summary && rest) wrap.appendChild(renderText(rest, byN, cid, reveal));
    if (status === 'no_answer') {
      wrap.appendChild(
        h('p', { class: 'refusal', 'data-testid': 'pqa-refusal' },
          '如需进一步咨询，请拨打人社服务热线 ', h('a', { href: 'tel:' + HOTLINE, text: HOTLINE }), '。'),
      );
    }

    const calc = a.calculation && typeof a.calculation === 'object' ? a.calculation : null;
    const parts = [];
    if (summary && rest) parts.push(renderText(rest, byN, cid, reveal));
    if (calc) {
      const box = h('div', { class: 'calc', role: 'group', 'aria-label': '计算方法' }, h('p', { class: 'label', text: '计算方法' + (calc.is_cap ? '（最高额）' : '') }));
      if (calc.formula) box.appendChild(h('div', { class: 'formula', 'data-testid': 'pqa-formula' }, str(calc.formula)));
      else if (calc.amount !== null && calc.amount !== undefined) {
        box.appendChild(h('div', { class: 'formula', 'data-testid': 'pqa-formula' }, formatAmount(calc.amount) + ' ' + str(calc.unit || '元')));
      }
      if (calc.note) box.appendChild(h('p', { class: 'note', text: str(calc.note) }));
      parts.push(box, renderList('需要满足的条件', calc.conditions), renderList('不能同时享受', calc.exclusions));
    }
    if (v && v.lapsed === false && v.period && !measures.length) {
      parts.push(h('p', { class: 'validity', text: '执行期限：' + str(v.period) + (v.as_of ? '（按 ' + str(v.as_of) + ' 计算仍在期内）' : '') }));
    }
    if (citations.length) parts.push(renderCitations(citations, cid, opts));
    const shown = parts.filter(Boolean);
    if (shown.length) {
      const basisId = cid + '-basis';
      basis = h('div', { class: 'basis', id: basisId, 'data-testid': 'pqa-basis' }, shown);
      if (summary || measures.length) {
        basisToggle = h('button', { type: 'button', class: 'basis-toggle', 'data-testid': 'pqa-basis-toggle', 'aria-expanded': 'false', 'aria-controls': basisId },
          h('span', { text: citations.length ? '依据与原文（' + citations.length + ' 条）' : '计算与说明' }),
          h('span', { class: 'chev', 'aria-hidden': 'true', text: '›' }));
        basisToggle.addEventListener('click', () => setBasis(basisToggle.getAttribute('aria-expanded') !== 'true'));
        basis.classList.add('collapsed'); // only phones hide it (see PHONE_QUERY in the styles)
        wrap.appendChild(basisToggle);
      }
      wrap.appendChild(basis);
    }
    function setBasis(open) {
      if (!basis) return;
      basis.classList.toggle('collapsed', !open);
      if (basisToggle) basisToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    }

    const tools = h('div', { class: 'tools' });
    if (opts.copy !== false && str(a.answer)) {
      const copy = h('button', { type: 'button', class: 'tool', 'data-testid': 'pqa-copy', 'aria-label': '复制回答及引用' }, '复制');
      const said = h('span', { role: 'status', 'data-testid': 'pqa-copy-status' });
      copy.addEventListener('click', async () => {
        const ok = await copyText(answerText(a));
        said.textContent = ok ? '已复制' : '复制失败，请长按文字手动复制';
      });
      append(tools, [copy, said]);
    }
    const fb = opts.feedback && a.answer_id ? opts.feedback(str(a.answer_id)) : null;
    if (fb) append(tools, [h('span', { class: 'grow' }), fb]);
    if (tools.childNodes.length) wrap.appendChild(tools);
    if (opts.expandQuotes) {
      for (const li of wrap.querySelectorAll('.cites li')) setExpanded(li.querySelector('.cite-toggle'), li.querySelector('.quote'), true);
    }
    return wrap;
  }

  function renderMeasures(measures, byN, cid, reveal) {
    const ul = h('ul', { class: 'measures', 'aria-label': '可能适用的措施' });
    for (const m of measures) {
      const st = STATUS_TEXT[str(m.status)] ? str(m.status) : 'check';
      const line = h('span', { class: 'line' }, h('span', { class: 'title', text: str(m.title) }));
      if (m.amount !== null && m.amount !== undefined) line.appendChild(h('span', null, '：', h('span', { class: 'amount', text: formatAmount(m.amount) + '元' })));
      line.appendChild(validityBadge(m.validity));
      for (const n of (Array.isArray(m.citations) ? m.citations : []).map(Number).filter((n) => byN.has(n))) {
        line.appendChild(h('sup', null, refButton(n, byN.get(n), cid, reveal)));
      }
      if (m.formula) line.appendChild(h('span', { class: 'formula', text: str(m.formula) }));
      if (m.note) line.appendChild(h('span', { class: 'note', text: str(m.note) }));
      ul.appendChild(h('li', { class: 'measure', 'data-testid': 'pqa-measure', 'data-status': st }, h('span', { class: 'st ' + st, text: STATUS_TEXT[st] }), line));
    }
    return ul;
  }

  function renderList(title, items) {
    const list = Array.isArray(items) ? items.filter((x) => typeof x === 'string' && x.trim()) : [];
    if (!list.length) return null;
    return h('div', { class: 'list' }, h('p', { class: 'label', text: title }), h('ul', null, list.map((x) => h('li', null, x))));
  }

  function refButton(n, c, cid, reveal) {
    const b = h('button', {
      type: 'button', class: 'ref', 'data-ref': String(n),
      'aria-label': '查看引用' + n + '：' + [citedDocument(c), str(c.label)].filter(Boolean).join(' '),
      'aria-controls': cid + '-' + n,
    }, '[' + n + ']');
    b.addEventListener('click', () => reveal(n));
    return b;
  }

  /** Answer text → paragraphs; [n] markers become buttons to footnote n; http(s) URLs become links. */
  function renderText(text, byN, cid, reveal) {
    const wrap = h('div', { class: 'text' });
    for (const para of text.split(/\n{2,}/)) {
      const p = h('p');
      const token = /\[(\d{1,3})\]|(https?:\/\/[^\s<>"'）)，。、；]+)/g;
      let last = 0;
      let m;
      while ((m = token.exec(para))) {
        if (m.index > last) p.appendChild(document.createTextNode(para.slice(last, m.index)));
        if (m[1] !== undefined && byN.has(Number(m[1]))) {
          p.appendChild(h('sup', null, refButton(Number(m[1]), byN.get(Number(m[1])), cid, reveal)));
        } else if (m[2] !== undefined && safeHref(m[2])) {
          p.appendChild(h('a', { href: safeHref(m[2]), target: '_blank', rel: 'noopener noreferrer nofollow' }, m[2]));
        } else {
          p.appendChild(document.createTextNode(m[0]));
        }
        last = token.lastIndex;
      }
      if (last < para.length) p.appendChild(document.createTextNode(para.slice(last)));
      wrap.appendChild(p);
    }
    return wrap;
  }

  function setExpanded(toggle, quote, expanded) {
    toggle.setAttribute('aria-expanded', expanded ? 'true' : 'false');
    quote.hidden = !expanded;
    // The test hook names an *expanded* quote, so it is only present while the quote shows.
    if (expanded) quote.setAttribute('data-testid', 'pqa-quote');
    else quote.removeAttribute('data-testid');
  }

  function renderCitations(citations, cid, opts) {
    const ol = h('ol');
    for (const c of citations) {
      const n = Number(c.n);
      const quoteId = cid + '-' + n + '-q';
      const doc = citedDocument(c);
      const toggle = h(
        'button',
        { type: 'button', class: 'cite-toggle', 'data-testid': 'pqa-cite-toggle', 'aria-expanded': 'false', 'aria-controls': quoteId, title: str(c.title) },
        h('span', { class: 'n', text: '[' + n + ']' }),
        h('span', { class: 'what' }, doc ? h('span', { class: 'doc', text: doc }) : null, doc ? ' ' : null, str(c.label)),
        h('span', { class: 'chev', 'aria-hidden': 'true', text: '›' }),
      );
      let open = null;
      if (opts.onClause) {
        open = h('button', { type: 'button', class: 'clause-link', 'data-testid': 'pqa-clause-link' }, '在条文详情中查看');
        open.addEventListener('click', () => opts.onClause(c));
      } else {
        const href = clauseHref(c);
        if (href) open = h('a', { class: 'clause-link', 'data-testid': 'pqa-clause-link', href, target: '_blank', rel: 'noopener' }, '查看条文全文 ↗');
      }
      const quote = h('div', { class: 'quote', id: quoteId, hidden: true }, h('blockquote', null, str(c.quote)), open);
      toggle.addEventListener('click', () => setExpanded(toggle, quote, toggle.getAttribute('aria-expanded') !== 'true'));
      ol.appendChild(h('li', { id: cid + '-' + n }, toggle, quote));
    }
    return h('div', { class: 'cites' }, h('p', { class: 'label', text: '政策依据（点击展开原文）' }), ol);
  }

  function revealCitation(scope, cid, n) {
    const li = scope.querySelector('#' + cssEscape(cid + '-' + n));
    if (!li) return;
    const toggle = li.querySelector('.cite-toggle');
    setExpanded(toggle, li.querySelector('.quote'), true);
    li.classList.remove('flash');
    void li.offsetWidth; // restart the highlight animation
    li.classList.add('flash');
    li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    toggle.focus({ preventScroll: true });
  }

  function cssEscape(s) {
    return window.CSS && window.CSS.escape ? window.CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&');
  }

  /** A constructed stylesheet where possible: it also works on host pages whose CSP forbids inline <style>. */
  function adoptStyles(root, css) {
    try {
      if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        root.adoptedStyleSheets = [sheet];
        return;
      }
    } catch (_) {
      /* fall back to a <style> element */
    }
    root.appendChild(h('style', { text: css }));
  }

  /** The public renderer: an element with its own shadow root showing `a` as the widget does. */
  function renderAnswer(a, options) {
    const opts = options || {};
    if (!customElements.get('policy-qa-answer')) customElements.define('policy-qa-answer', class extends HTMLElement {});
    const host = document.createElement('policy-qa-answer');
    host.style.display = 'block';
    const root = host.attachShadow({ mode: 'open' });
    adoptStyles(root, ANSWER_STYLES);
    const inner = h('div', { class: 'root', 'data-theme': opts.theme || null, 'data-testid': 'pqa-answer', 'data-status': str(a && a.status) });
    inner.appendChild(buildAnswer(a || {}, opts));
    root.appendChild(inner);
    return host;
  }

  // ---------------------------------------------------------------- the widget

  function mount() {
    if (!customElements.get('policy-qa-widget')) {
      customElements.define('policy-qa-widget', class extends HTMLElement {});
    }
    const host = document.createElement('policy-qa-widget');
    host.id = 'policy-qa-widget-host';
    // Open so automated browser tests (and assistive tooling) can reach inside.
    const root = host.attachShadow({ mode: 'open' });
    adoptStyles(root, STYLES);

    const panelId = nextId('panel');
    const titleId = nextId('title');
    const inputId = nextId('input');
    const counterId = nextId('counter');
    const phone = window.matchMedia(PHONE_QUERY);

    const launcher = h(
      'button',
      {
        type: 'button',
        class: 'launcher',
        'data-testid': 'pqa-launcher',
        'aria-label': '打开' + TITLE,
        'aria-expanded': 'false',
        'aria-controls': panelId,
      },
      svg('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z', 22),
      h('span', { text: '政策问答' }),
    );

    const resetBtn = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'pqa-reset', 'aria-label': '开始新对话', title: '开始新对话' }, '新对话');
    const closeBtn = h(
      'button',
      { type: 'button', class: 'icon-btn', 'data-testid': 'pqa-close', 'aria-label': '关闭问答窗口', title: '关闭（Esc）' },
      svg('M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z', 20),
    );
    const log = h('div', { class: 'log', role: 'region', 'aria-label': '对话记录', tabindex: '-1' });
    const live = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    const input = h('textarea', {
      id: inputId,
      'data-testid': 'pqa-input',
      maxlength: String(MAX_LEN),
      rows: '2',
      placeholder: '请输入您的问题，如“招用高校毕业生有什么补贴？”',
      'aria-label': '输入您的问题',
      'aria-describedby': counterId,
      enterkeyhint: 'send',
    });
    const send = h('button', { type: 'submit', class: 'send', 'data-testid': 'pqa-send', 'aria-label': '发送问题' }, '发送');
    const counter = h('span', { class: 'counter', id: counterId, 'aria-label': '已输入字数' }, '0/' + MAX_LEN);
    const form = h(
      'form',
      { class: 'composer', novalidate: true },
      h('div', { class: 'row' }, input, send),
      h('div', { class: 'meta' }, h('span', { text: 'Enter 发送，Shift+Enter 换行' }), counter),
    );
    const panel = h(
      'section',
      {
        id: panelId,
        class: 'panel',
        'data-testid': 'pqa-panel',
        role: 'dialog',
        'aria-modal': 'false',
        'aria-labelledby': titleId,
        hidden: true,
      },
      h('div', { class: 'head' }, h('h2', { id: titleId, text: TITLE }), resetBtn, closeBtn),
      log,
      form,
      live,
    );
    root.appendChild(h('div', { class: 'root' }, launcher, panel));

    const state = { open: false, busy: false, controller: null, started: false, bodyOverflow: null };

    // ---------------------------------------------------------- open / close, full screen

    function setFullScreen(full) {
      panel.setAttribute('aria-modal', full ? 'true' : 'false');
      // the page behind a full-screen panel must not scroll under the finger
      const body = document.body;
      if (full && state.bodyOverflow === null) {
        state.bodyOverflow = body.style.overflow;
        body.style.overflow = 'hidden';
      } else if (!full && state.bodyOverflow !== null) {
        body.style.overflow = state.bodyOverflow;
        state.bodyOverflow = null;
      }
    }

    function open() {
      if (state.open) return;
      state.open = true;
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      launcher.setAttribute('aria-label', '收起' + TITLE);
      setFullScreen(phone.matches);
      if (!state.started) showWelcome();
      input.focus();
    }

    function close() {
      if (!state.open) return;
      state.open = false;
      panel.hidden = true;
      launcher.setAttribute('aria-expanded', 'false');
      launcher.setAttribute('aria-label', '打开' + TITLE);
      setFullScreen(false);
      launcher.focus();
    }

    const onViewport = () => state.open && setFullScreen(phone.matches);
    if (phone.addEventListener) phone.addEventListener('change', onViewport);

    /** What Tab may reach inside the panel, in order. */
    function focusables() {
      return [...panel.querySelectorAll('button, textarea, input, a[href], [tabindex]:not([tabindex="-1"])')].filter(
        (el) => !el.disabled && el.getClientRects().length > 0,
      );
    }

    launcher.addEventListener('click', () => (state.open ? close() : open()));
    closeBtn.addEventListener('click', close);
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.isComposing) {
        e.stopPropagation();
        close();
      } else if (e.key === 'Tab' && phone.matches) {
        // full screen is a modal dialog: Tab cycles inside it and never reaches the page underneath
        const items = focusables();
        if (!items.length) return;
        const first = items[0];
        const last = items[items.length - 1];
        const active = root.activeElement;
        if (e.shiftKey && (active === first || !panel.contains(active))) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && (active === last || !panel.contains(active))) {
          e.preventDefault();
          first.focus();
        }
      }
    });
    // focus that leaves a full-screen panel some other way (a screen reader, a click on nothing) comes back
    document.addEventListener('focusin', (e) => {
      if (state.open && phone.matches && e.target !== host) input.focus();
    });
    resetBtn.addEventListener('click', () => {
      if (state.controller) state.controller.abort();
      chat.reset();
      log.textContent = '';
      state.started = false;
      showWelcome();
      input.focus();
    });

    // ---------------------------------------------------------- welcome + suggestions

    let suggestionsPromise = null;
    function loadSuggestions() {
      if (!suggestionsPromise) {
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), SUGGESTIONS_TIMEOUT_MS);
        suggestionsPromise = fetch(apiUrl('api/suggestions'), { signal: ctl.signal, credentials: 'omit', headers: { Accept: 'application/json' } })
          .then((r) => (r.ok ? r.json() : null))
          .then((d) => {
            const qs = d && Array.isArray(d.questions) ? d.questions.filter((q) => typeof q === 'string' && q.trim()) : [];
            return qs.length ? qs.slice(0, MAX_SUGGESTIONS) : FALLBACK_SUGGESTIONS;
          })
          .catch(() => FALLBACK_SUGGESTIONS)
          .finally(() => clearTimeout(timer));
      }
      return suggestionsPromise;
    }

    function showWelcome() {
      const list = h('div', { class: 'sugg', role: 'group', 'aria-label': '常见问题' });
      const box = h(
        'div',
        { class: 'welcome' },
        h('p', { text: '您好！我可以根据已公开的人社政策文件原文回答您的问题，并标注出处。' }),
        h('p', { class: 'hint', text: '您可以直接提问，或点击下面的常见问题：' }),
        list,
      );
      log.appendChild(box);
      loadSuggestions().then((qs) => {
        if (!box.isConnected) return;
        for (const q of qs) {
          const b = h('button', { type: 'button', 'data-testid': 'pqa-suggestion' }, q.slice(0, MAX_LEN));
          b.addEventListener('click', () => ask(q.slice(0, MAX_LEN)));
          list.appendChild(b);
        }
      });
    }

    // ---------------------------------------------------------- input

    function updateCounter() {
      const n = input.value.length;
      counter.textContent = n + '/' + MAX_LEN;
      counter.classList.toggle('near', n >= MAX_LEN - 50);
    }

    function setBusy(busy) {
      state.busy = busy;
      send.disabled = busy;
      send.setAttribute('aria-busy', busy ? 'true' : 'false');
      send.textContent = busy ? '回答中…' : '发送';
    }

    input.addEventListener('input', () => {
      if (input.value.length > MAX_LEN) input.value = input.value.slice(0, MAX_LEN);
      updateCounter();
    });
    input.addEventListener('keydown', (e) => {
      // Enter while a Chinese IME is composing picks a candidate; it must not send.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        form.requestSubmit ? form.requestSubmit() : submit();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit();
    });

    function submit() {
      const q = input.value.trim();
      if (!q || state.busy) return;
      input.value = '';
      updateCounter();
      ask(q);
    }

    // ---------------------------------------------------------- one question

    function scrollToBottom(force) {
      const near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
      if (force || near) log.scrollTop = log.scrollHeight;
    }

    function announce(text) {
      live.textContent = '';
      // A fresh text node after clearing makes screen readers announce it even when repeated.
      setTimeout(() => {
        live.textContent = text;
      }, 50);
    }

    function userBubble(question) {
      return h('div', { class: 'msg user', 'aria-label': '您的问题' }, question);
    }

    function botBubble(answer) {
      const bubble = h('article', { class: 'msg bot', 'data-testid': 'pqa-answer', 'aria-label': '回答' });
      fillBubble(bubble, answer);
      return bubble;
    }

    function fillBubble(bubble, answer) {
      bubble.textContent = '';
      bubble.setAttribute('data-status', str(answer.status) || 'answered');
      bubble.removeAttribute('aria-busy');
      bubble.appendChild(buildAnswer(answer, { feedback: renderFeedback }));
    }

    /** One request: the stream, else the plain endpoint. */
    async function fetchAnswer(body, signal, bubble, waiting) {
      let streamed = null; // the text node that deltas append to
      const ids = {}; // session_id / answer_id from `meta`, in case `done` leaves them out
      const onEvent = (event, data) => {
        if (event === 'meta') {
          if (data && data.session_id) ids.session_id = str(data.session_id);
          if (data && data.answer_id) ids.answer_id = str(data.answer_id);
          // data-status is set only once the answer is complete, so whoever waits for it (people's
          // scripts, browser tests) sees the final bubble with its citations.
        } else if (event === 'delta') {
          if (!streamed) {
            bubble.textContent = '';
            const p = h('p', { class: 'typing' });
            streamed = document.createTextNode('');
            p.appendChild(streamed);
            bubble.appendChild(h('div', { class: 'text' }, p));
          }
          streamed.appendData(str(data && data.text));
          scrollToBottom(false);
        }
      };
      try {
        return { ...ids, ...(await streamChat(body, signal, onEvent)) };
      } catch (err) {
        if (err instanceof ApiError || (err && err.name === 'AbortError')) throw err;
        // Stream not available or broke off: ask once more without streaming.
        bubble.textContent = '';
        bubble.appendChild(waiting);
        return postJSON('api/chat', body, signal);
      }
    }

    async function ask(question) {
      if (state.busy) return;
      question = str(question).trim().slice(0, MAX_LEN);
      if (!question) return;
      if (!state.open) open();
      const welcome = log.querySelector('.welcome');
      if (welcome) welcome.remove();
      state.started = true;
      setBusy(true);

      const asked = userBubble(question);
      log.appendChild(asked);
      const bubble = h('article', { class: 'msg bot', 'data-testid': 'pqa-answer', 'data-status': 'pending', 'aria-busy': 'true', 'aria-label': '回答' });
      const waiting = h('p', { class: 'waiting', text: '正在查找政策原文…' });
      bubble.appendChild(waiting);
      log.appendChild(bubble);
      scrollToBottom(true);

      const controller = new AbortController();
      state.controller = controller;
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      let answer = null;
      let notice = null;
      try {
        const body = { question, session_id: chat.sessionId() || null, as_of: null };
        try {
          answer = await fetchAnswer(body, controller.signal, bubble, waiting);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 'unknown_session' && body.session_id)) throw err;
          // The server no longer knows this conversation (expired, or the server's store was reset):
          // start a new one and ask again, saying so in one line.
          chat.setSession(null);
          notice = h('p', { class: 'notice', role: 'status', 'data-testid': 'pqa-notice' }, '之前的对话已过期，已为您开始新的对话。');
          log.insertBefore(notice, bubble);
          bubble.textContent = '';
          bubble.appendChild(waiting);
          answer = await fetchAnswer({ ...body, session_id: null }, controller.signal, bubble, waiting);
        }
      } catch (err) {
        // A bubble no longer in the log means the conversation was reset while waiting.
        if (bubble.isConnected) {
          bubble.remove();
          log.appendChild(h('div', { class: 'err', role: 'alert' }, '⚠ ' + describeFailure(err)));
          scrollToBottom(true);
        }
      } finally {
        clearTimeout(timer);
        if (state.controller === controller) state.controller = null;
        setBusy(false);
      }
      if (!answer || !bubble.isConnected) return;
      if (answer.session_id) chat.setSession(str(answer.session_id));
      chat.addTurn(question, answer);
      fillBubble(bubble, answer);
      // Markers read aloud as "left bracket one" help nobody; the footnotes follow in the panel.
      announce('新回答：' + (str(answer.summary) || str(answer.answer)).replace(MARKERS, ''));
      // Long answers are read from their start (or the notice above it), not their end.
      const top = (notice || bubble).offsetTop - log.offsetTop - 8;
      log.scrollTop = Math.max(0, Math.min(top, log.scrollHeight));
    }

    /** After a reload: the turns this tab's session has had, as they were shown. */
    function restore() {
      const saved = chat.load();
      if (!saved.turns.length) return;
      state.started = true;
      for (const t of saved.turns) append(log, [userBubble(t.question), botBubble(t.answer)]);
      log.appendChild(h('p', { class: 'restored', 'data-testid': 'pqa-restored', text: '以上是您在本页的对话，可以继续追问；点“新对话”重新开始。' }));
    }

    // ---------------------------------------------------------- feedback

    function renderFeedback(answerId) {
      const up = h('button', { type: 'button', class: 'tool', 'data-testid': 'pqa-fb-up', 'aria-label': '有帮助', 'aria-pressed': 'false', title: '有帮助' }, svg(THUMB_UP, 16));
      const down = h('button', { type: 'button', class: 'tool', 'data-testid': 'pqa-fb-down', 'aria-label': '没有帮助', 'aria-pressed': 'false', title: '没有帮助' }, svg(THUMB_DOWN, 16));
      const status = h('span', { role: 'status' });
      const bar = h('div', { class: 'fb tools' }, h('span', { text: '有帮助吗？' }), up, down, status);
      let helpful = null;

      const sendFeedback = async (comment) => {
        try {
          await postJSON('api/feedback', { answer_id: answerId, helpful, comment: comment || null });
          return true;
        } catch (err) {
          status.textContent = '反馈未能提交：' + describeFailure(err);
          return false;
        }
      };

      const choose = async (value) => {
        helpful = value;
        up.setAttribute('aria-pressed', value ? 'true' : 'false');
        down.setAttribute('aria-pressed', value ? 'false' : 'true');
        up.disabled = true;
        down.disabled = true;
        status.textContent = '提交中…';
        if (!(await sendFeedback(null))) {
          up.disabled = false;
          down.disabled = false;
          return;
        }
        status.textContent = '感谢您的反馈！';
        // The rating is already recorded; a comment, if given, follows as a second record.
        const field = h('input', { type: 'text', maxlength: String(FEEDBACK_MAX_LEN), placeholder: value ? '还有什么建议？（可选）' : '哪里不对或不清楚？（可选）', 'aria-label': '补充意见（可选）' });
        const go = h('button', { type: 'button', text: '提交' });
        const more = h('div', { class: 'fb-more' }, field, go);
        const submitComment = async () => {
          const text = field.value.trim().slice(0, FEEDBACK_MAX_LEN);
          if (!text) return;
          go.disabled = true;
          if (await sendFeedback(text)) {
            more.remove();
            status.textContent = '已收到您的意见，谢谢！';
          } else go.disabled = false;
        };
        go.addEventListener('click', submitComment);
        field.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            submitComment();
          }
        });
        bar.appendChild(more);
      };
      up.addEventListener('click', () => choose(true));
      down.addEventListener('click', () => choose(false));
      return bar;
    }

    updateCounter();
    restore();
    (document.body || document.documentElement).appendChild(host);

    return { open, close, ask: (q) => ask(q) };
  }

  // Reserve the name at once so a second copy of the script does nothing.
  const api = {};
  window.PolicyQA = api;
  const start = () => {
    api.version = '1.2';
    api.apiBase = API_BASE;
    api.renderAnswer = renderAnswer;
    api.answerText = answerText;
    api.copyText = copyText;
    if (MOUNT) {
      const w = mount();
      api.open = w.open;
      api.close = w.close;
      api.ask = w.ask;
    }
    Object.freeze(api);
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
