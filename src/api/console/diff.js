// Line and word diffs (Myers' O(ND) algorithm) for the policy generation
// view and the run samples.
import { h } from './ui.js';

// diff(a, b) -> [{op: 'eq'|'del'|'ins', a: index|null, b: index|null}]
export function diff(a, b) {
  const n = a.length, m = b.length, max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[max + k - 1] < v[max + k + 1])) x = v[max + k + 1];
      else x = v[max + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[max + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
  }
  // Walk the trace back from (n, m).
  const ops = [];
  let x = n, y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vv = trace[d];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && vv[max + k - 1] < vv[max + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = vv[max + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { x--; y--; ops.push({ op: 'eq', a: x, b: y }); }
    if (d > 0) {
      if (x === prevX) { y--; ops.push({ op: 'ins', a: null, b: y }); }
      else { x--; ops.push({ op: 'del', a: x, b: null }); }
    }
  }
  return ops.reverse();
}

// Rows of a side-by-side view: deletions and insertions of one hunk are
// paired line by line.
export function sideBySide(aLines, bLines) {
  const ops = diff(aLines, bLines);
  const rows = [];
  let dels = [], inss = [];
  const flush = () => {
    const n = Math.max(dels.length, inss.length);
    for (let i = 0; i < n; i++) rows.push({ left: dels[i] ?? null, right: inss[i] ?? null, kind: 'change' });
    dels = []; inss = [];
  };
  for (const o of ops) {
    if (o.op === 'del') dels.push(o.a);
    else if (o.op === 'ins') inss.push(o.b);
    else { flush(); rows.push({ left: o.a, right: o.b, kind: 'eq' }); }
  }
  flush();
  return rows;
}

// Two columns of numbered lines, changed lines coloured. Counts returned
// in the element's dataset (added, removed) for the caller's summary.
export function sideBySideView(aText, bText, aTitle, bTitle) {
  const a = aText.split('\n'), b = bText.split('\n');
  const rows = sideBySide(a, b);
  const left = [], right = [];
  let added = 0, removed = 0;
  for (const r of rows) {
    const eq = r.kind === 'eq';
    if (r.left !== null) {
      left.push(h('span', { class: 'ln' }, r.left + 1),
        h('pre', { class: eq ? '' : 'del' }, a[r.left] || ' '));
      if (!eq) removed++;
    } else {
      left.push(h('span', { class: 'ln' }, ''), h('pre', { class: 'gap' }, ' '));
    }
    if (r.right !== null) {
      right.push(h('span', { class: 'ln' }, r.right + 1),
        h('pre', { class: eq ? '' : 'ins' }, b[r.right] || ' '));
      if (!eq) added++;
    } else {
      right.push(h('span', { class: 'ln' }, ''), h('pre', { class: 'gap' }, ' '));
    }
  }
  const view = h('div', { class: 'side', 'data-added': added, 'data-removed': removed },
    h('div', { class: 'col' }, h('h3', {}, aTitle), h('div', { class: 'dl mono', 'aria-label': aTitle }, left)),
    h('div', { class: 'col' }, h('h3', {}, bTitle), h('div', { class: 'dl mono', 'aria-label': bTitle }, right)));
  return { view, added, removed };
}

function words(text) { return (text || '').split(/(\s+)/).filter((t) => t !== ''); }

// The old and new text with the changed words marked (<del> in the old,
// <ins> in the new).
export function wordDiff(oldText, newText) {
  const a = words(oldText), b = words(newText);
  const ops = diff(a, b);
  const oldOut = [], newOut = [];
  for (const o of ops) {
    if (o.op === 'eq') { oldOut.push(a[o.a]); newOut.push(b[o.b]); }
    else if (o.op === 'del') oldOut.push(/^\s+$/.test(a[o.a]) ? a[o.a] : h('del', {}, a[o.a]));
    else newOut.push(/^\s+$/.test(b[o.b]) ? b[o.b] : h('ins', {}, b[o.b]));
  }
  return { old: h('span', {}, oldOut), new: h('span', {}, newOut) };
}
