// Runs: the list (filter by state and policy, paged by cursor) and the form
// that starts a run with every option of POST /v1/runs.
import * as api from './api.js';
import { h, replace, table, time, badge, progress, field, errorBox, notify, Pager, hashQuery, setHashQuery, fmtRate } from './ui.js';

const STATES = ['', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'promoted', 'discarded', 'rolled_back'];
const enc = encodeURIComponent;

export async function runsPage(main, ctx) {
  const q = hashQuery();
  const state = h('select', {}, STATES.map((s) => h('option', { value: s, selected: s === (q.get('state') || '') }, s || 'any')));
  const policy = h('input', { type: 'text', value: q.get('policy') || '', placeholder: 'any', size: 16 });
  const listBox = h('div', {});
  const pager = new Pager(() => load());
  let lastKey = '';
  const load = async () => {
    setHashQuery({ state: state.value, policy: policy.value.trim(), start: q.get('start') });
    try {
      const page = await api.get('/v1/runs', { state: state.value, policy: policy.value.trim(), cursor: pager.cursor, limit: 25 });
      if (!ctx.alive) return;
      // Re-render only on change, so polling does not steal the focus.
      const key = JSON.stringify([page, pager.stack.length]);
      if (key === lastKey) return;
      lastKey = key;
      pager.next = page.next_cursor;
      replace(listBox, table([
        { title: 'run', cell: (r) => h('a', { href: `#/runs/${enc(r.id)}` }, r.id) },
        { title: 'state', cell: (r) => badge(r.state) },
        { title: 'mode', cell: (r) => r.mode },
        { title: 'policies', cell: (r) => r.policies.map((p) => `${p.name} ${p.from_generation}→${p.target_generation}`).join(', ') },
        { title: 'progress', cell: (r) => progress(r.progress?.percent, false, `progress of ${r.id}`) },
        { title: 'rate', num: true, cls: 'hide-narrow', cell: (r) => fmtRate(r.progress?.rate) },
        { title: 'created', cls: 'hide-narrow', cell: (r) => time(r.created_at) },
        { title: 'by', cls: 'hide-narrow', cell: (r) => r.created_by },
      ], page.runs, 'No runs match.'), pager.render());
    } catch (err) {
      if (ctx.alive) replace(listBox, errorBox(err));
    }
  };
  const refilter = (e) => { e.preventDefault(); pager.reset(); load(); };
  replace(main, h('h1', {}, 'Runs'),
    api.can('operator') ? startForm(q) : null,
    h('section', { 'aria-labelledby': 'runs-list' }, h('h2', { id: 'runs-list' }, 'All runs'),
      h('form', { class: 'filters', onsubmit: refilter, role: 'search' },
        field('State', state), field('Policy', policy),
        h('button', { type: 'submit', class: 'secondary' }, 'Filter')),
      listBox));
  state.addEventListener('change', refilter);
  ctx.poll(load, 2000);
}

const MODES = [
  ['shadow', 'Shadow: writes the new records to staging, invisible to readers, until you promote (or discard) the run.'],
  ['dry_run', 'Dry run: computes the full diff and counters and writes nothing.'],
  ['direct', 'Direct: like shadow, then promotes itself as soon as it succeeds and the gates pass.'],
];

function startForm(q) {
  const text = (attrs = {}) => h('input', { type: 'text', spellcheck: 'false', ...attrs });
  const num = (attrs = {}) => h('input', { type: 'number', ...attrs });
  const f = {
    policies: text({ value: q.get('policy') || '', placeholder: 'deployments, secrets', required: true }),
    selector: text({ placeholder: 'team=apps,tier!=dev' }),
    from: text({ value: '-48h' }), to: text({ placeholder: 'up to the promote' }),
    tenants: text({ placeholder: 'all' }), types: text({ placeholder: 'all the policy reads' }),
    filter: text({ placeholder: "meta.tenant != 'test'" }),
    purge: h('input', { type: 'checkbox' }),
    max_rate: num({ min: 0, placeholder: 'unlimited' }),
    adaptive: h('input', { type: 'checkbox' }),
    parallelism: num({ min: 1, placeholder: 'core count' }),
    min_coverage: num({ min: 0, max: 1, step: 0.01, value: 1 }),
    max_errors: num({ min: 0, value: 0 }),
    max_changed_ratio: num({ min: 0, max: 1, step: 0.01, placeholder: 'none' }),
    max_removed: num({ min: 0, placeholder: 'none' }),
    retry: text({ placeholder: 'r-… (optional)' }),
    reason: text({ placeholder: 'why this run', size: 50 }),
  };
  const modes = MODES.map(([m, help], i) => h('li', {}, h('label', { class: 'inline' },
    h('input', { type: 'radio', name: 'mode', value: m, checked: i === 0 }), h('strong', {}, m)), h('span', { class: 'help' }, help)));
  const result = h('div', { 'aria-live': 'polite' });
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const submit = async (e) => {
    e.preventDefault();
    const body = { mode: document.querySelector('input[name=mode]:checked').value };
    if (f.selector.value.trim()) body.selector = f.selector.value.trim();
    else body.policies = list(f.policies.value);
    if (f.from.value.trim()) body.from = f.from.value.trim();
    if (f.to.value.trim()) body.to = f.to.value.trim();
    if (f.tenants.value.trim()) body.tenants = list(f.tenants.value);
    if (f.types.value.trim()) body.types = list(f.types.value);
    if (f.filter.value.trim()) body.filter = f.filter.value.trim();
    body.purge_unmatched = f.purge.checked;
    if (f.max_rate.value !== '') body.max_rate = Number(f.max_rate.value);
    if (f.adaptive.checked) body.throttle = 'adaptive';
    if (f.parallelism.value !== '') body.parallelism = Number(f.parallelism.value);
    body.gates = { min_coverage: Number(f.min_coverage.value || 1), max_errors: Number(f.max_errors.value || 0) };
    if (f.max_changed_ratio.value !== '') body.gates.max_changed_ratio = Number(f.max_changed_ratio.value);
    if (f.max_removed.value !== '') body.gates.max_removed = Number(f.max_removed.value);
    if (f.retry.value.trim()) body.retry_errors_of = f.retry.value.trim();
    if (f.reason.value.trim()) body.reason = f.reason.value.trim();
    try {
      const run = await api.post('/v1/runs', body);
      notify(`Started ${run.id}`);
      location.hash = `#/runs/${enc(run.id)}`;
    } catch (err) {
      replace(result, errorBox(err));
    }
  };
  f.policies.required = false;
  return h('details', { class: 'panel', open: q.get('start') ? true : null },
    h('summary', {}, h('strong', {}, 'Start a run')),
    h('form', { onsubmit: submit, 'aria-label': 'Start a run' },
      h('div', { class: 'row' },
        field('Policies', f.policies, 'Names, comma-separated.'),
        field('or label selector', f.selector, 'Used instead of the names when set.')),
      h('div', { class: 'row' },
        field('From', f.from, 'RFC 3339 or relative: -48h, -7d, -30m.'),
        field('To', f.to, 'Empty: up to the moment of promote (live events hand off).')),
      h('fieldset', {}, h('legend', {}, 'Mode'), h('ul', { class: 'modes' }, modes)),
      h('fieldset', {}, h('legend', {}, 'Scope'),
        h('div', { class: 'row' }, field('Tenants', f.tenants, 'Comma-separated; empty = all.'),
          field('Types', f.types, 'Comma-separated event types.'),
          field('Filter (CEL)', f.filter, 'Over data and meta; only matching events.')),
        h('label', { class: 'inline' }, f.purge, 'Purge unmatched'),
        h('p', { class: 'help' }, 'Remove records whose event no longer matches the new generation (tombstones, reversible by rollback).')),
      h('fieldset', {}, h('legend', {}, 'Speed'),
        h('div', { class: 'row' }, field('Max rate (events/s)', f.max_rate, '0 or empty = unlimited.'),
          field('Parallelism', f.parallelism, 'Slices processed at once.')),
        h('label', { class: 'inline' }, f.adaptive, 'Adaptive throttle'),
        h('p', { class: 'help' }, 'Slow down while live processing lags, speed up when it catches up.')),
      h('fieldset', {}, h('legend', {}, 'Gates (promote is refused while one blocks)'),
        h('div', { class: 'row' }, field('Min coverage', f.min_coverage, '0–1; 1 = every event in range processed.'),
          field('Max errors', f.max_errors), field('Max changed ratio', f.max_changed_ratio, '0–1, optional.'),
          field('Max removed', f.max_removed, 'Optional.'))),
      h('div', { class: 'row' }, field('Retry errors of run', f.retry, 'Re-run only the events that errored there.'),
        field('Reason', f.reason, 'Free text, kept with the run and in the audit ledger.')),
      h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Start run')),
      result));
}
