// DOM helpers, formatting, the confirmation dialog, charts and pagers.
// Everything builds elements with textContent: no HTML strings, so nothing
// from the server is ever parsed as markup.

// h('a', {href: '#/x', class: 'y', onclick: f}, 'text', child, [children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    // CSSOM, not the style attribute: the CSP forbids inline styles.
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let idCounter = 0;
export function uid(prefix) { return `${prefix}-${++idCounter}`; }

// A labelled field: returns [label, input] wired with for/id.
export function field(labelText, input, help) {
  if (!input.id) input.id = uid('f');
  const parts = [h('label', { for: input.id }, labelText), input];
  if (help) {
    const hid = uid('help');
    input.setAttribute('aria-describedby', hid);
    parts.push(h('p', { class: 'help', id: hid }, help));
  }
  return h('div', {}, parts);
}

export function fmtNum(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: 1 });
}
export function fmtRate(n) { return n === null || n === undefined ? '–' : `${fmtNum(n)}/s`; }
export function fmtTime(t) {
  if (!t) return '–';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
export function fmtDuration(sec) {
  if (sec === null || sec === undefined) return '–';
  sec = Math.max(0, Math.round(sec));
  const hh = Math.floor(sec / 3600), mm = Math.floor((sec % 3600) / 60), ss = sec % 60;
  if (hh) return `${hh}h ${mm}m`;
  if (mm) return `${mm}m ${ss}s`;
  return `${ss}s`;
}
export function time(t) { return h('time', { datetime: t || '' }, fmtTime(t)); }

const STATE_CLASS = {
  succeeded: 'ok', promoted: 'ok', running: '', queued: 'muted', paused: 'warn',
  failed: 'bad', cancelled: 'muted', discarded: 'muted', rolled_back: 'warn',
  matched: 'ok', error: 'bad', dropped: 'muted', unmatched: 'muted', unselected: 'muted',
  critical: 'bad', warning: 'warn', ok: 'ok', denied: 'bad', invalid: 'warn',
};
export function badge(text, cls) {
  return h('span', { class: `badge ${cls ?? STATE_CLASS[text] ?? ''}` }, String(text).replace('_', ' '));
}

export function progress(percent, big, label) {
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  return h('div', {
    class: `progress${big ? ' big' : ''}`, role: 'progressbar', 'aria-valuemin': '0',
    'aria-valuemax': '100', 'aria-valuenow': p.toFixed(1), 'aria-label': label || 'progress',
  }, h('span', { style: { width: `${p}%` } }), h('em', {}, `${p.toFixed(1)}%`));
}

export function notify(text, bad) {
  const box = document.getElementById('status');
  const item = h('div', { class: bad ? 'bad' : '' }, text);
  box.appendChild(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}

export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, err.message || String(err));
}

// confirmAction({title, text, ok, danger, extra}) -> Promise<boolean>.
export function confirmAction({ title, text, ok = 'Confirm', danger = false, extra = null }) {
  const dlg = document.getElementById('confirm');
  replace(document.getElementById('confirm-title'), title);
  replace(document.getElementById('confirm-text'), text);
  replace(document.getElementById('confirm-extra'), extra);
  const okBtn = document.getElementById('confirm-ok');
  const cancelBtn = document.getElementById('confirm-cancel');
  okBtn.textContent = ok;
  okBtn.className = danger ? 'danger' : '';
  return new Promise((resolve) => {
    const done = (v) => {
      okBtn.onclick = cancelBtn.onclick = dlg.oncancel = null;
      dlg.close();
      resolve(v);
    };
    okBtn.onclick = () => done(true);
    cancelBtn.onclick = () => done(false);
    dlg.oncancel = (e) => { e.preventDefault(); done(false); };
    dlg.showModal();
    cancelBtn.focus();
  });
}

// A table: columns [{title, cell(row) -> node|string, num}], rows.
export function table(columns, rows, empty = 'Nothing to show.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) =>
      h('th', { scope: 'col', class: c.num ? 'num' : (c.cls || '') }, c.title)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) =>
      h('td', { class: c.num ? 'num' : (c.cls || '') }, c.cell(r))))))));
}

// A cursor pager: keeps the cursors of the pages before, so "Previous"
// works without the API paging backwards.
export class Pager {
  constructor(onChange) { this.stack = []; this.cursor = ''; this.next = ''; this.onChange = onChange; }
  reset() { this.stack = []; this.cursor = ''; }
  render() {
    const page = this.stack.length + 1;
    return h('div', { class: 'pager' },
      h('button', { type: 'button', class: 'secondary', disabled: !this.stack.length,
        onclick: () => { this.cursor = this.stack.pop(); this.onChange(); } }, '← Previous'),
      h('span', {}, `Page ${page}`),
      h('button', { type: 'button', class: 'secondary', disabled: !this.next,
        onclick: () => { this.stack.push(this.cursor); this.cursor = this.next; this.onChange(); } }, 'Next →'));
  }
}

// A line chart of points [{t: Date ms, v: number}] over [t0, t1].
export function lineChart(points, { t0, t1, unit = '', label }) {
  const W = 600, H = 140, L = 48, R = 8, T = 10, B = 22;
  const max = Math.max(1e-9, ...points.map((p) => p.v));
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / max) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
  svg.appendChild(s('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
  svg.appendChild(s('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  svg.appendChild(s('text', { x: 2, y: T + 8 }, `${fmtNum(max)}${unit}`));
  svg.appendChild(s('text', { x: 2, y: H - B }, `0${unit}`));
  svg.appendChild(s('text', { x: L, y: H - 6 }, '−60 min'));
  svg.appendChild(s('text', { x: W - R - 28, y: H - 6 }, 'now'));
  if (points.length) {
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
    const first = points[0], last = points[points.length - 1];
    svg.appendChild(s('path', { class: 'area', d: `${d}L${x(last.t).toFixed(1)},${H - B}L${x(first.t).toFixed(1)},${H - B}Z` }));
    svg.appendChild(s('path', { class: 'line', d }));
  }
  return h('div', { class: 'chart' }, svg);
}

// Summary text with each link's marker highlighted; the target in the title.
export function summaryWithLinks(summary, links) {
  const out = [];
  let rest = summary || '';
  for (const l of links || []) {
    const i = l.marker ? rest.indexOf(l.marker) : -1;
    if (i < 0) continue;
    out.push(rest.slice(0, i));
    const r = l.resource || {};
    const target = [r.type || r.resource, r.namespace, r.name].filter(Boolean).join('/');
    out.push(h('mark', { class: 'link', title: `link to ${target}` }, l.marker));
    rest = rest.slice(i + l.marker.length);
  }
  out.push(rest);
  return h('span', {}, out);
}

export function linksList(links) {
  if (!links || !links.length) return null;
  return h('ul', { class: 'help' }, links.map((l) => h('li', {}, h('code', {}, l.marker), ' → ',
    h('code', {}, JSON.stringify(l.resource)))));
}

export function fieldsTable(fields) {
  if (!fields || !Object.keys(fields).length) return null;
  return table([{ title: 'field', cell: (r) => h('code', {}, r[0]) },
    { title: 'value', cell: (r) => h('code', {}, JSON.stringify(r[1])) }], Object.entries(fields));
}

export function hashQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}
export function setHashQuery(params) {
  const base = location.hash.split('?')[0] || '#/';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const next = q.toString() ? `${base}?${q}` : base;
  if (next !== location.hash) history.replaceState(null, '', next);
}
