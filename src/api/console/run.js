// One run: live progress, counters, gates, the actions (each confirmed with
// its consequence), the diff (counts, transition heat map, tenants, samples
// with the changed words marked), errors and drop reasons. Polled every 1 s
// while the run is open.
import * as api from './api.js';
import { h, replace, table, time, badge, progress, field, errorBox, notify, confirmAction, fmtNum, fmtRate, fmtDuration, summaryWithLinks } from './ui.js';
import { wordDiff } from './diff.js';

const enc = encodeURIComponent;
const OPEN = new Set(['queued', 'running', 'paused']);
const CATEGORIES = ['added', 'changed', 'unchanged', 'removed', 'unmatched', 'dropped', 'error'];
const COUNTERS = ['processed', 'matched', 'unmatched', 'dropped', 'errors', 'added', 'changed', 'unchanged', 'removed'];

export async function runPage(main, ctx, id) {
  const parts = {
    head: h('div', {}), progress: h('div', {}), counters: h('div', {}), gates: h('div', {}),
    actions: h('div', {}), diff: h('div', {}), errors: h('div', {}),
  };
  replace(main, parts.head, parts.progress, parts.counters,
    h('section', { 'aria-labelledby': 'r-gates' }, h('h2', { id: 'r-gates' }, 'Promote gates'), parts.gates),
    h('section', { 'aria-labelledby': 'r-act' }, h('h2', { id: 'r-act' }, 'Actions'), parts.actions),
    h('section', { 'aria-labelledby': 'r-diff' }, h('h2', { id: 'r-diff' }, 'Diff'), parts.diff),
    h('section', { 'aria-labelledby': 'r-err' }, h('h2', { id: 'r-err' }, 'Errors and drops'), parts.errors));

  const last = {};
  // Re-renders a part only when its data changed (keeps focus and scroll).
  const update = (name, data, render) => {
    const key = JSON.stringify(data);
    if (last[name] === key) return;
    last[name] = key;
    replace(parts[name], render(data));
  };
  let run = null, finalSeen = false, tick = 0;
  const refresh = async () => {
    try {
      run = await api.get(`/v1/runs/${enc(id)}`);
    } catch (err) {
      if (ctx.alive) replace(parts.head, h('h1', {}, `Run ${id}`), errorBox(err));
      return;
    }
    if (!ctx.alive) return;
    update('head', [run.id, run.state, run.mode, run.policies, run.reason, run.created_by, run.created_at, run.started_at,
      run.finished_at, run.promoted_at, run.rolled_back_at, run.error, run.from, run.to, run.forced], () => headView(run));
    update('progress', [run.state, run.progress, run.throttle], () => progressView(run));
    update('counters', [run.counters, run.handoff], () => countersView(run));
    update('gates', [run.gates, run.ready_to_promote, run.blocking_reasons, run.state], () => gatesView(run));
    update('actions', [run.state, run.mode, run.ready_to_promote, run.blocking_reasons, run.throttle], () => actionsView(run, refresh));
    // The diff and errors: every 2 s while open, once more when it ends.
    const open = OPEN.has(run.state);
    const wantDiff = open ? tick % 2 === 0 : !finalSeen;
    tick++;
    if (!wantDiff) return;
    try {
      const [diff, errs] = await Promise.all([
        api.get(`/v1/runs/${enc(id)}/diff`, { samples: 20 }),
        api.get(`/v1/runs/${enc(id)}/errors`, { limit: 50 })]);
      if (!ctx.alive) return;
      if (!open) finalSeen = true;
      update('diff', diff, () => diffView(diff));
      update('errors', errs, () => errorsView(errs));
    } catch (err) {
      if (ctx.alive) replace(parts.diff, errorBox(err));
    }
  };
  ctx.poll(refresh, 1000);
}

function headView(r) {
  return h('div', {},
    h('p', {}, h('a', { href: '#/runs' }, '← All runs')),
    h('h1', {}, `Run ${r.id} `, badge(r.state), r.forced ? [' ', badge('forced', 'warn')] : null),
    h('p', {}, h('strong', {}, r.mode.replace('_', ' ')), ' of ',
      r.policies.map((p, i) => [i ? ', ' : '', h('a', { href: `#/policies/${enc(p.name)}` }, p.name),
        ` generation ${p.from_generation} → ${p.target_generation}`]),
      ` · events from ${r.from || 'the start'} to ${r.to || 'the promote'}`,
      r.reason ? [' · ', h('q', {}, r.reason)] : null),
    h('p', { class: 'help' }, `created by ${r.created_by} at `, time(r.created_at),
      r.started_at ? [' · started ', time(r.started_at)] : null,
      r.finished_at ? [' · finished ', time(r.finished_at)] : null,
      r.promoted_at ? [' · promoted ', time(r.promoted_at)] : null,
      r.rolled_back_at ? [' · rolled back ', time(r.rolled_back_at)] : null),
    r.error ? h('div', { class: 'error-box', role: 'alert' }, `Failed: ${r.error}`) : null);
}

function progressView(r) {
  const p = r.progress || {};
  const t = r.throttle || {};
  return h('div', { class: 'panel' },
    progress(p.percent, true, `progress of run ${r.id}`),
    h('div', { class: 'cards' },
      card('processed', `${fmtNum(p.processed)} / ${fmtNum(p.total)}`),
      card('rate', fmtRate(p.rate)),
      card('ETA', OPEN.has(r.state) ? fmtDuration(p.eta_seconds) : '–'),
      card('throttle', t.max_rate ? `${fmtNum(t.max_rate)}/s${t.adaptive ? ' adaptive' : ''}` : (t.adaptive ? 'adaptive' : 'unlimited'))));
}

function card(k, n) { return h('div', { class: 'card' }, h('div', { class: 'n' }, n), h('div', { class: 'k' }, k)); }

function countersView(r) {
  const c = r.counters || {}, ho = r.handoff || {};
  return h('section', { 'aria-labelledby': 'r-count' }, h('h2', { id: 'r-count' }, 'Counters'),
    h('div', { class: 'cards', 'data-testid': 'counters' }, COUNTERS.map((k) => card(k, fmtNum(c[k])))),
    h('p', { class: 'help' }, `Handoff (live events after the cutoff, evaluated with the target): ${fmtNum(ho.processed)} processed, ` +
      `${fmtNum(ho.matched)} matched, ${fmtNum(ho.unmatched)} unmatched, ${fmtNum(ho.dropped)} dropped, ${fmtNum(ho.errors)} errors.`));
}

function gatesView(r) {
  const g = r.gates || {};
  const fmt = (v) => (v === null || v === undefined ? 'none' : v);
  return h('div', {},
    h('p', {}, `min coverage ${fmt(g.min_coverage)} · max errors ${fmt(g.max_errors)} · max changed ratio ${fmt(g.max_changed_ratio)} · max removed ${fmt(g.max_removed)}`),
    ['promoted', 'rolled_back', 'discarded'].includes(r.state)
      ? h('p', {}, `The run is ${r.state.replace('_', ' ')}${r.forced ? ' (its promote was forced past the gates)' : ''}.`)
      : r.ready_to_promote ? h('p', { class: 'ok-box' }, 'Every gate passes: ready to promote.')
        : (r.blocking_reasons || []).length
          ? h('div', {}, h('p', {}, 'Promote is blocked:'),
            h('ul', { class: 'blocking' }, r.blocking_reasons.map((b) => h('li', {}, b))))
          : h('p', {}, OPEN.has(r.state) ? 'Not ready yet: the run is still going.' : 'Not ready to promote.'));
}

// Each action with the states it is allowed in and the consequence it has.
function actionsView(r, refresh) {
  if (!api.can('operator')) {
    return h('p', { class: 'help' }, `You are signed in as ${api.me.role}: acting on runs needs the operator role.`);
  }
  const policies = r.policies.map((p) => `${p.name} generation ${p.target_generation}`).join(', ');
  const previous = r.policies.map((p) => `${p.name} generation ${p.from_generation}`).join(', ');
  const act = async (action, body, title, text, danger, extra) => {
    if (!await confirmAction({ title, text, ok: title, danger, extra })) return;
    try {
      await api.post(`/v1/runs/${enc(r.id)}/${action}`, body ? body() : {});
      notify(`${title}: done`);
      refresh();
    } catch (err) {
      notify(`${title}: ${err.message}`, true);
      const reasons = err.details?.blocking_reasons;
      if (reasons) notify(`Blocked by: ${reasons.join('; ')}`, true);
    }
  };
  const btn = (label, onclick, opts = {}) => h('button', { type: 'button', class: opts.cls, disabled: opts.disabled, onclick }, label);
  const s = r.state;
  const buttons = [];
  if (s === 'queued' || s === 'running') {
    buttons.push(btn('Pause', () => act('pause', null, 'Pause', `Pause ${r.id}? It stops after its current batch; everything written so far is kept and Resume continues from there.`)));
  }
  if (s === 'paused' || s === 'failed' || s === 'cancelled') {
    buttons.push(btn('Resume', () => act('resume', null, 'Resume', `Resume ${r.id} from its checkpoints? This works only while the target generation (${policies}) is unchanged.`)));
  }
  if (OPEN.has(s)) {
    buttons.push(btn('Cancel run', () => act('cancel', null, 'Cancel run', `Cancel ${r.id}? It stops; its staged records stay invisible. You can still resume it later or discard it.`, true), { cls: 'secondary' }));
  }
  if (s === 'succeeded' && r.mode !== 'dry_run') {
    const blocked = !r.ready_to_promote;
    buttons.push(btn('Promote', () => act('promote', () => ({ force: false }), 'Promote',
      `Promote ${r.id}? Its staged records become visible to every reader and ${policies} becomes active, in one step. Rollback can undo it within the rollback horizon.`),
    { disabled: blocked }));
    if (blocked && api.can('admin')) {
      buttons.push(btn('Force promote', () => act('promote', () => ({ force: true }), 'Force promote',
        `Force ${r.id} through its gates? The blocked gates (${(r.blocking_reasons || []).join('; ')}) are ignored, the records become visible and ${policies} becomes active. The forced promote is recorded in the audit ledger.`, true),
      { cls: 'danger' }));
    }
  }
  if ((s === 'succeeded' || s === 'failed' || s === 'cancelled') && !r.promoted_at) {
    buttons.push(btn('Discard', () => act('discard', null, 'Discard', `Discard ${r.id}? Its staged records are thrown away; readers keep seeing what they see now. This cannot be undone.`, true), { cls: 'secondary' }));
  }
  if (s === 'promoted') {
    buttons.push(btn('Roll back', () => act('rollback', null, 'Roll back', `Roll back ${r.id}? Readers see again exactly what was visible before its promote, and ${previous} becomes active again.`, true), { cls: 'danger' }));
  }
  let rethrottle = null;
  if (OPEN.has(s)) {
    const rate = h('input', { type: 'number', min: 0, value: r.throttle?.max_rate ?? 0 });
    const mode = h('select', {}, h('option', { value: 'fixed', selected: !r.throttle?.adaptive }, 'fixed'),
      h('option', { value: 'adaptive', selected: !!r.throttle?.adaptive }, 'adaptive'));
    rethrottle = h('form', { class: 'filters', 'aria-label': 'Rethrottle', onsubmit: (e) => {
      e.preventDefault();
      const n = Number(rate.value || 0);
      act('rethrottle', () => ({ max_rate: n, throttle: mode.value }), 'Rethrottle',
        n === 0 && mode.value === 'fixed' ? `Set ${r.id} to 0 events/s? That pauses it until you rethrottle or resume.`
          : `Set ${r.id} to ${n ? `${n} events/s` : 'unlimited'}${mode.value === 'adaptive' ? ', backing off while live processing lags' : ''}? It takes effect within a second.`);
    } }, field('Max rate (events/s; 0 = unlimited)', rate), field('Throttle', mode),
    h('button', { type: 'submit', class: 'secondary' }, 'Rethrottle'));
  }
  return h('div', {},
    buttons.length ? h('div', { class: 'buttons' }, buttons) : h('p', { class: 'help' }, `No action applies to a ${s.replace('_', ' ')} run.`),
    s === 'succeeded' && !r.ready_to_promote && !api.can('admin') ? h('p', { class: 'help' }, 'A blocked promote can be forced by an admin only.') : null,
    s === 'succeeded' && r.mode === 'dry_run' ? h('p', { class: 'help' }, 'A dry run writes nothing, so there is nothing to promote: start a shadow run to apply it.') : null,
    rethrottle);
}

function diffView(d) {
  const c = d.counters || {};
  return h('div', {},
    h('p', { class: 'help' }, d.final ? 'Final.' : 'Provisional: the run is still going.'),
    table([{ title: 'category', cell: (x) => x[0] }, { title: 'count', num: true, cell: (x) => fmtNum(x[1]) }],
      ['added', 'changed', 'unchanged', 'removed', 'unmatched', 'dropped', 'errors'].map((k) => [k, c[k] || 0])),
    h('h3', {}, 'Rule transitions (before → after)'), heatMaps(d.transitions || []),
    h('h3', {}, 'Per tenant'),
    table([{ title: 'tenant', cell: (t) => t.tenant }].concat(['processed', 'added', 'changed', 'unchanged', 'removed', 'unmatched', 'dropped', 'errors']
      .map((k) => ({ title: k, num: true, cell: (t) => fmtNum(t.counters?.[k] || 0) }))), d.tenants || [], 'No tenants yet.'),
    h('h3', {}, 'Samples'), samplesView(d.samples || []));
}

// One matrix a policy: rows = rule before, columns = rule after; the cell's
// colour grows with the log of the count (the number is always written).
function heatMaps(transitions) {
  if (!transitions.length) return h('p', { class: 'empty' }, 'No transitions yet.');
  const byPolicy = new Map();
  for (const t of transitions) {
    if (!byPolicy.has(t.policy)) byPolicy.set(t.policy, []);
    byPolicy.get(t.policy).push(t);
  }
  const name = (r) => (r === null || r === undefined || r === '' ? '(none)' : r);
  return h('div', {}, [...byPolicy].map(([policy, ts]) => {
    const froms = [...new Set(ts.map((t) => name(t.from)))].sort();
    const tos = [...new Set(ts.map((t) => name(t.to)))].sort();
    const count = new Map(ts.map((t) => [`${name(t.from)}\u0000${name(t.to)}`, t.count]));
    const max = Math.max(...ts.map((t) => t.count));
    const cell = (f, t) => {
      const n = count.get(`${f}\u0000${t}`) || 0;
      const a = n ? Math.log(1 + n) / Math.log(1 + max) : 0;
      // From white to #0b57d0; the text colour (white or near-black) with
      // the higher contrast against the cell (WCAG relative luminance).
      const rgb = [[255, 11], [255, 87], [255, 208]].map(([lo, hi]) => Math.round(lo + (hi - lo) * a));
      const lum = rgb.map((c) => { const x = c / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; })
        .reduce((sum, x, i) => sum + x * [0.2126, 0.7152, 0.0722][i], 0);
      const white = 1.05 / (lum + 0.05) > (lum + 0.05) / (0.0137 + 0.05);
      return h('td', { class: 'cell', title: `${f} → ${t}: ${n}`,
        style: { background: `rgb(${rgb.join(',')})`, color: white ? '#fff' : '#1b1f24',
          fontWeight: f === t ? '400' : '700' } }, n ? fmtNum(n) : '·');
    };
    return h('div', { class: 'table-wrap' }, h('table', { class: 'heat', 'aria-label': `Rule transitions of ${policy}` },
      h('caption', { class: 'legend' }, `${policy}: rows = rule before, columns = rule after; bold = the rule changed`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'before \\ after'), tos.map((t) => h('th', { scope: 'col', class: 'num' }, t)))),
      h('tbody', {}, froms.map((f) => h('tr', {}, h('th', { scope: 'row', class: 'rowh' }, f), tos.map((t) => cell(f, t)))))));
  }));
}

function samplesView(samples) {
  if (!samples.length) return h('p', { class: 'empty' }, 'No samples yet.');
  const list = h('div', { class: 'samples' });
  const cats = CATEGORIES.filter((c) => samples.some((x) => x.category === c));
  const sel = h('select', {}, h('option', { value: '' }, 'all'), cats.map((c) => h('option', { value: c, selected: c === 'changed' }, c)));
  const show = () => replace(list, samples.filter((x) => !sel.value || x.category === sel.value).map(sampleView));
  sel.addEventListener('change', show);
  if (!cats.includes('changed')) sel.value = '';
  show();
  return h('div', {}, h('div', { class: 'filters' }, field('Category', sel)), list);
}

// A sample's record is a /v1/records row ({rule, generation, record:
// {summary, links, fields, ...}}); a flat record is read the same way.
const payload = (rec) => (rec && rec.record && typeof rec.record === 'object' ? rec.record : rec);

function sampleView(x) {
  const o = x.old, n = x.new;
  const words = wordDiff(payload(o)?.summary || '', payload(n)?.summary || '');
  const side = (title, rec, marked) => h('div', { class: 'col' }, h('h3', {}, title),
    h('div', { class: 'txt' }, rec
      ? [h('p', {}, x.category === 'changed' ? marked : summaryWithLinks(payload(rec).summary, payload(rec).links)),
        h('p', { class: 'help' }, `rule ${rec.rule || '–'} · generation ${rec.generation ?? '–'}`),
        payload(rec).fields && Object.keys(payload(rec).fields).length
          ? h('pre', { class: 'mono' }, JSON.stringify(payload(rec).fields, null, 1)) : null]
      : h('p', { class: 'empty' }, 'no record')));
  return h('article', { class: 'sample' },
    h('header', {}, badge(x.category, x.category === 'error' ? 'bad' : ''), h('span', {}, x.policy), h('span', {}, x.tenant),
      h('code', {}, `${x.origin?.type}/${x.origin?.id}`), time(x.time)),
    x.reason ? h('p', { class: 'txt', style: { margin: '.3rem .6rem' } }, `Reason: ${x.reason}`) : null,
    h('div', { class: 'side' }, side('old', o, words.old), side('new', n, words.new)));
}

function errorsView(e) {
  const reasons = (rows) => table([{ title: 'reason', cell: (x) => x.reason }, { title: 'count', num: true, cell: (x) => fmtNum(x.count) }], rows || [], 'None.');
  const events = (rows) => table([{ title: 'event', cell: (x) => h('code', {}, `${x.type}/${x.id}`) }, { title: 'policy', cell: (x) => x.policy },
    { title: 'reason', cell: (x) => x.reason }], rows || [], 'None.');
  return h('div', { class: 'grid' },
    h('div', {}, h('h3', {}, 'Error reasons'), reasons(e.error_reasons), h('h3', {}, 'Errored events'), events(e.errors)),
    h('div', {}, h('h3', {}, 'Drop reasons'), reasons(e.drop_reasons), h('h3', {}, 'Dropped events'), events(e.drops)));
}
