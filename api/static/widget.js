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
  const API_BASE = resolveApiBase(script);
  const SESSION_KEY = 'policy-qa:session:' + API_BASE;

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

  // ---------------------------------------------------------------- session

  const session = {
    get() {
      try {
        return window.sessionStorage.getItem(SESSION_KEY);
      } catch (_) {
        return memorySession; // storage blocked (sandboxed iframe, privacy mode)
      }
    },
    set(id) {
      memorySession = id || null;
      try {
        if (id) window.sessionStorage.setItem(SESSION_KEY, id);
        else window.sessionStorage.removeItem(SESSION_KEY);
      } catch (_) {
        /* memory copy is enough */
      }
    },
  };
  let memorySession = null;

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

  const STYLES = `
:host { all: initial !important; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root {
  font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 15px; line-height: 1.6; color: #1f2933; font-weight: 400; font-style: normal;
  letter-spacing: normal; text-align: left; text-transform: none; text-indent: 0; word-spacing: normal;
  white-space: normal; direction: ltr; cursor: auto; visibility: visible;
  -webkit-text-size-adjust: 100%;
}
button, textarea, input { font: inherit; color: inherit; letter-spacing: inherit; margin: 0; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  height: 52px; padding: 0 20px 0 16px; border: 0; border-radius: 26px;
  background: #1d4f91; color: #fff; font-size: 16px; font-weight: 600;
  box-shadow: 0 6px 20px rgba(16, 42, 84, .35);
}
.launcher:hover { background: #173f74; }
.launcher[aria-expanded="true"] { background: #173f74; }

.panel {
  position: fixed; right: 20px; bottom: 84px; z-index: 2147483001;
  width: 400px; height: min(680px, calc(100vh - 110px)); max-height: calc(100vh - 110px);
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 12px; border: 1px solid #d5dde8;
  box-shadow: 0 12px 40px rgba(16, 42, 84, .28);
}
.head {
  display: flex; align-items: center; gap: 8px; padding: 10px 10px 10px 16px;
  background: #1d4f91; color: #fff; flex: none;
}
.head h2 { margin: 0; flex: 1; font-size: 16px; font-weight: 600; line-height: 1.4; color: #fff;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.icon-btn { border: 0; background: transparent; color: #fff; border-radius: 6px;
  min-width: 36px; height: 36px; padding: 0 8px; font-size: 14px; display: inline-flex; align-items: center; justify-content: center; }
.icon-btn:hover { background: rgba(255,255,255,.15); }

.log { flex: 1; overflow-y: auto; padding: 14px 14px 6px; background: #f4f6f9; overscroll-behavior: contain; }
.welcome { background: #fff; border: 1px solid #e1e7ef; border-radius: 10px; padding: 12px 14px; margin-bottom: 12px; }
.welcome p { margin: 0 0 8px; }
.welcome .hint { font-size: 13px; color: #52606d; }
.sugg { display: flex; flex-direction: column; gap: 6px; margin-top: 6px; }
.sugg button { text-align: left; border: 1px solid #b9cbe4; background: #f0f5fc; color: #1d4f91;
  border-radius: 8px; padding: 7px 10px; font-size: 14px; line-height: 1.5; }
.sugg button:hover { background: #e2ecf9; }

.msg { margin: 0 0 12px; max-width: 100%; overflow-wrap: anywhere; word-break: normal; }
.user { margin-left: 48px; background: #1d4f91; color: #fff; border-radius: 12px 12px 2px 12px;
  padding: 8px 12px; white-space: pre-wrap; }
.bot { margin-right: 12px; background: #fff; border: 1px solid #e1e7ef; border-radius: 12px 12px 12px 2px; padding: 10px 12px; }
.bot[data-status="no_answer"], .bot[data-status="invalid"] { border-color: #d9dde3; background: #fbfbfc; }
.bot[data-status="clarify"] { border-color: #b9cbe4; background: #f6f9fe; }
.text p { margin: 0 0 6px; white-space: pre-wrap; }
.text p:last-child { margin-bottom: 0; }
.text a { color: #1d4f91; }
.typing::after { content: "▍"; color: #1d4f91; animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .typing::after { animation: none; } }
.waiting { color: #52606d; font-size: 14px; }
.kicker { font-size: 12px; font-weight: 600; color: #1d4f91; margin: 0 0 4px; }

sup { line-height: 0; }
.ref { border: 0; background: #e2ecf9; color: #1d4f91; font-size: 11px; font-weight: 600; border-radius: 4px;
  padding: 0 3px; margin: 0 1px; line-height: 1.5; }
.ref:hover { background: #c9daf2; }

.lapsed { margin: 0 0 8px; padding: 7px 10px; border-radius: 8px; background: #fff4e0; border: 1px solid #f0b35a;
  color: #7a4500; font-size: 14px; font-weight: 600; }
.validity { margin: 8px 0 0; font-size: 12px; color: #52606d; }
.refusal { margin: 8px 0 0; padding: 7px 10px; border-radius: 8px; background: #eef3f9; color: #23415f; font-size: 14px; }
.refusal a { color: #1d4f91; font-weight: 700; }

.calc { margin: 10px 0 0; padding: 8px 10px; background: #f3f7fc; border-left: 4px solid #1d4f91; border-radius: 4px; }
.calc .label { font-size: 12px; color: #52606d; margin: 0 0 2px; }
.formula { font-weight: 600; color: #102a54; white-space: pre-wrap; font-variant-numeric: tabular-nums; }
.calc .note { font-size: 13px; color: #52606d; margin: 4px 0 0; }
.list { margin: 8px 0 0; font-size: 14px; }
.list .label { font-size: 12px; color: #52606d; margin: 0; }
.list ul { margin: 2px 0 0; padding-left: 20px; }
.list li { margin: 1px 0; }

.cites { margin: 10px 0 0; padding-top: 8px; border-top: 1px dashed #d5dde8; }
.cites .label { font-size: 12px; color: #52606d; margin: 0 0 4px; }
.cites ol { list-style: none; margin: 0; padding: 0; }
.cites li { margin: 0 0 4px; border-radius: 6px; }
.cites li.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #ffe9a8; } to { background: transparent; } }
.cite-toggle { display: flex; width: 100%; align-items: baseline; gap: 6px; border: 0; background: transparent;
  padding: 3px 2px; text-align: left; font-size: 13px; color: #1d4f91; border-radius: 6px; }
.cite-toggle:hover { background: #eef3f9; }
.cite-toggle .n { font-weight: 700; flex: none; }
.cite-toggle .what { flex: 1; min-width: 0; }
.cite-toggle .doc { color: #52606d; }
.cite-toggle .chev { flex: none; display: inline-block; transition: transform .15s; }
.cite-toggle[aria-expanded="true"] .chev { transform: rotate(90deg); }
.quote { margin: 2px 0 6px 6px; padding: 6px 10px; border-left: 3px solid #b9cbe4; background: #f8fafc; font-size: 13px; }
.quote blockquote { margin: 0; white-space: pre-wrap; color: #1f2933; }
.quote .src { margin: 4px 0 0; font-size: 12px; color: #52606d; }

.fb { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 10px 0 0; font-size: 12px; color: #52606d; }
.fb button.thumb { border: 1px solid #d5dde8; background: #fff; color: #52606d; border-radius: 14px; padding: 0 10px; height: 26px;
  display: inline-flex; align-items: center; }
.fb button.thumb:hover { color: #1d4f91; border-color: #9fb6d6; }
.fb button.thumb[aria-pressed="true"] { background: #e2ecf9; border-color: #1d4f91; color: #1d4f91; }
.fb button.thumb:disabled { cursor: default; }
.fb-more { display: flex; gap: 6px; width: 100%; margin-top: 4px; }
.fb-more input { flex: 1; min-width: 0; border: 1px solid #c5cfdb; border-radius: 6px; padding: 3px 8px; font-size: 13px; background: #fff; }
.fb-more button { border: 0; background: #1d4f91; color: #fff; border-radius: 6px; padding: 3px 10px; font-size: 13px; }

.err { margin: 0 0 12px; padding: 8px 12px; border-radius: 8px; background: #fdecec; border: 1px solid #f3b4b4; color: #8a1c1c; font-size: 14px; }

.composer { flex: none; border-top: 1px solid #e1e7ef; padding: 8px 10px 6px; background: #fff; }
.row { display: flex; gap: 8px; align-items: flex-end; }
.composer textarea { flex: 1; min-width: 0; resize: none; height: 64px; border: 1px solid #c5cfdb; border-radius: 8px;
  padding: 6px 10px; font-size: 15px; line-height: 1.5; background: #fff; color: #1f2933; }
.composer textarea:focus { border-color: #1d4f91; outline: none; box-shadow: 0 0 0 2px rgba(29,79,145,.25); }
.send { flex: none; height: 40px; padding: 0 16px; border: 0; border-radius: 8px; background: #1d4f91; color: #fff; font-weight: 600; }
.send:disabled { background: #9aa8ba; cursor: not-allowed; }
.meta { display: flex; justify-content: space-between; gap: 8px; font-size: 11px; color: #7b8794; margin-top: 3px; }
.counter.near { color: #b45309; font-weight: 600; }

@media (max-width: 480px) {
  .panel { left: 0; right: 0; top: 0; bottom: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; border: 0; }
  .launcher { right: 14px; bottom: 14px; }
  .user { margin-left: 28px; }
  .bot { margin-right: 0; }
}
`;

  // ---------------------------------------------------------------- the widget

  function mount() {
    if (!customElements.get('policy-qa-widget')) {
      customElements.define('policy-qa-widget', class extends HTMLElement {});
    }
    const host = document.createElement('policy-qa-widget');
    host.id = 'policy-qa-widget-host';
    // Open so automated browser tests (and assistive tooling) can reach inside.
    const root = host.attachShadow({ mode: 'open' });

    // A constructed stylesheet also works on host pages whose CSP forbids inline <style>.
    let styled = false;
    try {
      if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLES);
        root.adoptedStyleSheets = [sheet];
        styled = true;
      }
    } catch (_) {
      styled = false;
    }
    if (!styled) root.appendChild(h('style', { text: STYLES }));

    const panelId = nextId('panel');
    const titleId = nextId('title');
    const inputId = nextId('input');
    const counterId = nextId('counter');

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

    const resetBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': '开始新对话', title: '开始新对话' }, '新对话');
    const closeBtn = h(
      'button',
      { type: 'button', class: 'icon-btn', 'aria-label': '关闭问答窗口', title: '关闭（Esc）' },
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

    const state = { open: false, busy: false, controller: null, started: false };

    // ---------------------------------------------------------- open / close

    function open() {
      if (state.open) return;
      state.open = true;
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      launcher.setAttribute('aria-label', '收起' + TITLE);
      if (!state.started) showWelcome();
      input.focus();
    }

    function close() {
      if (!state.open) return;
      state.open = false;
      panel.hidden = true;
      launcher.setAttribute('aria-expanded', 'false');
      launcher.setAttribute('aria-label', '打开' + TITLE);
      launcher.focus();
    }

    launcher.addEventListener('click', () => (state.open ? close() : open()));
    closeBtn.addEventListener('click', close);
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.isComposing) {
        e.stopPropagation();
        close();
      }
    });
    resetBtn.addEventListener('click', () => {
      if (state.controller) state.controller.abort();
      session.set(null);
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

    async function ask(question) {
      if (state.busy) return;
      question = str(question).trim().slice(0, MAX_LEN);
      if (!question) return;
      if (!state.open) open();
      const welcome = log.querySelector('.welcome');
      if (welcome) welcome.remove();
      state.started = true;
      setBusy(true);

      log.appendChild(h('div', { class: 'msg user', 'aria-label': '您的问题' }, question));
      const bubble = h('article', { class: 'msg bot', 'data-testid': 'pqa-answer', 'data-status': 'pending', 'aria-busy': 'true', 'aria-label': '回答' });
      const waiting = h('p', { class: 'waiting', text: '正在查找政策原文…' });
      bubble.appendChild(waiting);
      log.appendChild(bubble);
      scrollToBottom(true);

      const controller = new AbortController();
      state.controller = controller;
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      const body = { question, session_id: session.get() || null, as_of: null };

      let streamed = null; // the text node that deltas append to
      const ids = {}; // session_id / answer_id from `meta`, in case `done` leaves them out
      const onEvent = (event, data) => {
        if (event === 'meta') {
          if (data && data.session_id) ids.session_id = str(data.session_id);
          if (data && data.answer_id) ids.answer_id = str(data.answer_id);
          if (ids.session_id) session.set(ids.session_id);
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
        } else if (event === 'citations') {
          // Shown in full with `done`; nothing to draw early that would not be redrawn a moment later.
        }
      };

      let answer = null;
      try {
        try {
          answer = { ...ids, ...(await streamChat(body, controller.signal, onEvent)) };
        } catch (err) {
          if (err instanceof ApiError || (err && err.name === 'AbortError')) throw err;
          // Stream not available or broke off: ask once more without streaming.
          bubble.textContent = '';
          bubble.appendChild(waiting);
          answer = await postJSON('api/chat', body, controller.signal);
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
      if (answer.session_id) session.set(str(answer.session_id));
      renderAnswer(bubble, answer);
      // Markers read aloud as "left bracket one" help nobody; the footnotes follow in the panel.
      announce('新回答：' + str(answer.answer).replace(/\[\d{1,3}\]/g, ''));
      // Long answers are read from their start, not their end.
      const top = bubble.offsetTop - log.offsetTop - 8;
      log.scrollTop = Math.max(0, Math.min(top, log.scrollHeight));
    }

    // ---------------------------------------------------------- rendering an Answer

    function renderAnswer(bubble, a) {
      const status = str(a.status) || 'answered';
      const citations = Array.isArray(a.citations) ? a.citations.filter((c) => c && typeof c === 'object') : [];
      const byN = new Map(citations.map((c) => [Number(c.n), c]));
      const cid = nextId('c');
      bubble.textContent = '';
      bubble.setAttribute('data-status', status);
      bubble.removeAttribute('aria-busy');

      const v = a.validity && typeof a.validity === 'object' ? a.validity : null;
      if (v && v.lapsed === true) {
        const why = str(v.note) || (v.period ? '有效期为' + str(v.period) : '已超过文件规定的执行期限');
        bubble.appendChild(h('p', { class: 'lapsed', 'data-testid': 'pqa-lapsed', role: 'note' }, '⚠ 该措施已过期：' + why));
      }
      if (status === 'clarify') bubble.appendChild(h('p', { class: 'kicker', text: '需要您补充信息' }));

      bubble.appendChild(renderText(str(a.answer), byN, cid));

      if (status === 'no_answer') {
        bubble.appendChild(
          h('p', { class: 'refusal', 'data-testid': 'pqa-refusal' },
            '如需进一步咨询，请拨打人社服务热线 ',
            h('a', { href: 'tel:' + HOTLINE, text: HOTLINE }),
            '。'),
        );
      }

      const calc = a.calculation && typeof a.calculation === 'object' ? a.calculation : null;
      if (calc) {
        const box = h('div', { class: 'calc', role: 'group', 'aria-label': '计算方法' }, h('p', { class: 'label', text: '计算方法' + (calc.is_cap ? '（最高额）' : '') }));
        if (calc.formula) box.appendChild(h('div', { class: 'formula', 'data-testid': 'pqa-formula' }, str(calc.formula)));
        else if (calc.amount !== null && calc.amount !== undefined) {
          box.appendChild(h('div', { class: 'formula', 'data-testid': 'pqa-formula' }, formatAmount(calc.amount) + ' ' + str(calc.unit || '元')));
        }
        if (calc.note) box.appendChild(h('p', { class: 'note', text: str(calc.note) }));
        append(bubble, [box, renderList('需要满足的条件', calc.conditions), renderList('不能同时享受', calc.exclusions)]);
      }

      if (v && v.lapsed === false && v.period) {
        bubble.appendChild(h('p', { class: 'validity', text: '执行期限：' + str(v.period) + (v.as_of ? '（按 ' + str(v.as_of) + ' 计算仍在期内）' : '') }));
      }

      if (citations.length) bubble.appendChild(renderCitations(citations, cid));
      if (a.answer_id) bubble.appendChild(renderFeedback(str(a.answer_id)));
    }

    function renderList(title, items) {
      const list = Array.isArray(items) ? items.filter((x) => typeof x === 'string' && x.trim()) : [];
      if (!list.length) return null;
      return h('div', { class: 'list' }, h('p', { class: 'label', text: title }), h('ul', null, list.map((x) => h('li', null, x))));
    }

    /** Answer text → paragraphs; [n] markers become buttons to footnote n; http(s) URLs become links. */
    function renderText(text, byN, cid) {
      const wrap = h('div', { class: 'text' });
      const paras = text.split(/\n{2,}/);
      for (const para of paras) {
        const p = h('p');
        const token = /\[(\d{1,3})\]|(https?:\/\/[^\s<>"'）)，。、；]+)/g;
        let last = 0;
        let m;
        while ((m = token.exec(para))) {
          if (m.index > last) p.appendChild(document.createTextNode(para.slice(last, m.index)));
          if (m[1] !== undefined && byN.has(Number(m[1]))) {
            const n = Number(m[1]);
            const c = byN.get(n);
            const b = h('button', {
              type: 'button',
              class: 'ref',
              'aria-label': '查看引用' + n + '：' + str(c.label),
              'aria-controls': cid + '-' + n,
              'data-ref': String(n),
            }, '[' + n + ']');
            b.addEventListener('click', () => revealCitation(wrap.parentNode, cid, n));
            p.appendChild(h('sup', null, b));
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

    function renderCitations(citations, cid) {
      const ol = h('ol');
      for (const c of citations) {
        const n = Number(c.n);
        const quoteId = cid + '-' + n + '-q';
        const toggle = h(
          'button',
          { type: 'button', class: 'cite-toggle', 'data-testid': 'pqa-cite-toggle', 'aria-expanded': 'false', 'aria-controls': quoteId },
          h('span', { class: 'n', text: '[' + n + ']' }),
          h('span', { class: 'what' }, str(c.label) || str(c.clause_id), ' ', h('span', { class: 'doc', text: c.title ? '《' + str(c.title) + '》' : '' })),
          h('span', { class: 'chev', 'aria-hidden': 'true', text: '›' }),
        );
        const quote = h(
          'div',
          { class: 'quote', id: quoteId, hidden: true },
          h('blockquote', null, str(c.quote)),
          h('p', { class: 'src' }, [str(c.label), c.title ? '《' + str(c.title) + '》' : '', c.doc_id ? '文件编号：' + str(c.doc_id) : ''].filter(Boolean).join(' · ')),
        );
        toggle.addEventListener('click', () => setExpanded(toggle, quote, toggle.getAttribute('aria-expanded') !== 'true'));
        ol.appendChild(h('li', { id: cid + '-' + n }, toggle, quote));
      }
      return h('div', { class: 'cites' }, h('p', { class: 'label', text: '政策依据（点击展开原文）' }), ol);
    }

    function revealCitation(bubble, cid, n) {
      if (!bubble) return;
      const li = bubble.querySelector('#' + cssEscape(cid + '-' + n));
      if (!li) return;
      const toggle = li.querySelector('.cite-toggle');
      const quote = li.querySelector('.quote');
      setExpanded(toggle, quote, true);
      li.classList.remove('flash');
      void li.offsetWidth; // restart the highlight animation
      li.classList.add('flash');
      li.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      toggle.focus({ preventScroll: true });
    }

    function cssEscape(s) {
      return window.CSS && window.CSS.escape ? window.CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&');
    }

    // ---------------------------------------------------------- feedback

    function renderFeedback(answerId) {
      const up = h('button', { type: 'button', class: 'thumb', 'data-testid': 'pqa-fb-up', 'aria-label': '有帮助', 'aria-pressed': 'false', title: '有帮助' }, svg(THUMB_UP, 16));
      const down = h('button', { type: 'button', class: 'thumb', 'data-testid': 'pqa-fb-down', 'aria-label': '没有帮助', 'aria-pressed': 'false', title: '没有帮助' }, svg(THUMB_DOWN, 16));
      const status = h('span', { role: 'status' });
      const bar = h('div', { class: 'fb' }, h('span', { text: '这个回答有帮助吗？' }), up, down, status);
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
    (document.body || document.documentElement).appendChild(host);

    return { open, close, ask: (q) => ask(q) };
  }

  // Reserve the name at once so a second copy of the script does nothing.
  const api = {};
  window.PolicyQA = api;
  const start = () => {
    const w = mount();
    api.version = '1.0';
    api.apiBase = API_BASE;
    api.open = w.open;
    api.close = w.close;
    api.ask = w.ask;
    Object.freeze(api);
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
