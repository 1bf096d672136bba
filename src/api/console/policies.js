// Policies: the list (kind, active generation, last change); one policy's
// YAML per generation with a side-by-side diff of any two; a preview box;
// applying a new version (admins).
import * as api from './api.js';
import { h, replace, table, time, badge, field, errorBox, notify, summaryWithLinks, linksList, fieldsTable } from './ui.js';
import { sideBySideView } from './diff.js';

const enc = encodeURIComponent;
export const kindOf = (spec) => (/^kind:\s*(\S+)/m.exec(spec || '') || [])[1] || '?';

export async function policiesPage(main, ctx) {
  const list = await api.get('/v1/policies');
  const rows = await Promise.all(list.policies.map(async (p) => {
    const [one, gens] = await Promise.all([
      p.active_generation ? api.get(`/v1/policies/${enc(p.name)}`) : null,
      api.get(`/v1/policies/${enc(p.name)}/generations`)]);
    const created = gens.generations.map((g) => g.created).filter(Boolean).sort();
    return { ...p, kind: kindOf(one?.spec_generation?.spec), changed: created[created.length - 1] };
  }));
  if (!ctx.alive) return;
  replace(main, h('h1', {}, 'Policies'),
    table([
      { title: 'name', cell: (p) => h('a', { href: `#/policies/${enc(p.name)}` }, p.name) },
      { title: 'kind', cell: (p) => p.kind },
      { title: 'active generation', num: true, cell: (p) => p.active_generation || '–' },
      { title: 'latest', num: true, cell: (p) => p.latest_generation },
      { title: 'last change', cell: (p) => time(p.changed) },
      { title: 'open run', cell: (p) => p.active_run ? h('a', { href: `#/runs/${enc(p.active_run)}` }, p.active_run) : '' },
    ], rows, 'No policies yet. Apply one with `retro policy apply FILE`.'),
    api.can('admin') ? h('p', { class: 'help' }, 'To change a policy, open it and apply a new version.') : null);
}

export async function policyPage(main, ctx, name) {
  const [info, gens, sources] = await Promise.all([
    api.get(`/v1/policies/${enc(name)}`),
    api.get(`/v1/policies/${enc(name)}/generations`, { spec: 'true' }),
    api.get('/v1/sources')]);
  if (!ctx.alive) return;
  const generations = gens.generations;
  const latest = generations[generations.length - 1];
  const byGen = new Map(generations.map((g) => [g.generation, g]));

  // --- generations and their diff
  const genOptions = (sel) => generations.map((g) => h('option', { value: g.generation, selected: g.generation === sel },
    `generation ${g.generation}${g.generation === info.active_generation ? ' (active)' : ''}`));
  const left = h('select', {}, genOptions(generations.length > 1 ? generations[generations.length - 2].generation : latest.generation));
  const right = h('select', {}, genOptions(latest.generation));
  const diffBox = h('div', {});
  const showDiff = () => {
    const a = byGen.get(Number(left.value)), b = byGen.get(Number(right.value));
    const { view, added, removed } = sideBySideView(a.spec, b.spec, `generation ${a.generation} · ${new Date(a.created).toISOString()}`,
      `generation ${b.generation} · ${new Date(b.created).toISOString()}`);
    replace(diffBox, h('p', { class: 'help', id: 'diff-summary' }, a.generation === b.generation
      ? 'The same generation on both sides.' : `${removed} line(s) removed, ${added} added.`), view);
  };
  left.addEventListener('change', showDiff);
  right.addEventListener('change', showDiff);

  // --- preview
  const typeSel = h('select', {}, sources.sources.map((s) => h('option', { value: s.name }, s.name)));
  const guess = /ActivityPolicy/.test(latest.spec) ? (/eventRules:/.test(latest.spec) && !/auditRules:/.test(latest.spec) ? 'event' : 'audit') : null;
  if (guess && sources.sources.some((s) => s.name === guess)) typeSel.value = guess;
  const previewGen = h('select', {}, genOptions(latest.generation));
  const events = h('textarea', { class: 'code', rows: 8, spellcheck: 'false',
    placeholder: 'One JSON event a line (NDJSON), or a JSON array of events' });
  const outcomes = h('div', { 'aria-live': 'polite' });
  const pickSamples = async () => {
    try {
      const page = await api.get('/v1/events', { type: typeSel.value, limit: 10 });
      events.value = page.events.map((e) => JSON.stringify(e.data)).join('\n');
      if (!page.events.length) notify(`No stored events of type ${typeSel.value}.`, true);
    } catch (err) { replace(outcomes, errorBox(err)); }
  };
  const runPreview = async () => {
    replace(outcomes, h('p', { class: 'help' }, 'Evaluating…'));
    try {
      const text = await api.request('POST', `/v1/policies/${enc(name)}/preview`, {
        query: { type: typeSel.value, generation: previewGen.value }, raw: events.value, contentType: 'application/x-ndjson' });
      const lines = String(text).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      replace(outcomes, h('p', { class: 'help' }, `${lines.length} event(s): ` +
        Object.entries(lines.reduce((m, o) => ((m[o.outcome] = (m[o.outcome] || 0) + 1), m), {})).map(([k, v]) => `${v} ${k}`).join(', ')),
      lines.map(outcomeView));
    } catch (err) { replace(outcomes, errorBox(err)); }
  };

  // --- apply (admin)
  let applySection = null;
  if (api.can('admin')) {
    const yaml = h('textarea', { class: 'code', rows: 18, spellcheck: 'false', value: latest.spec, 'aria-label': 'Policy YAML' });
    const activate = h('input', { type: 'checkbox', checked: true });
    const result = h('div', { 'aria-live': 'polite' });
    const apply = async (e) => {
      e.preventDefault();
      try {
        const r = await api.request('PUT', `/v1/policies/${enc(name)}`, {
          raw: yaml.value, contentType: 'application/yaml', query: { activate: activate.checked ? '' : 'false' } });
        replace(result, h('div', { class: 'ok-box' }, r.created
          ? `Generation ${r.generation} stored; the active generation is ${r.active_generation}.`
          : `No change: the text is generation ${r.generation} already.`));
        notify(`Applied ${name}: generation ${r.generation}`);
        if (r.created) setTimeout(() => { if (ctx.alive) policyPage(main, ctx, name); }, 600);
      } catch (err) {
        replace(result, problemsView(err, yaml));
      }
    };
    applySection = h('section', { 'aria-labelledby': 'p-apply' }, h('h2', { id: 'p-apply' }, 'Apply a new version'),
      h('form', { class: 'panel', onsubmit: apply },
        field('YAML', yaml),
        h('label', { class: 'inline' }, activate, 'Activate now'),
        h('p', { class: 'help' }, 'Checked: live processing uses the new generation at once (history stays as it is). ' +
          'Unchecked (?activate=false): the generation is only stored; start a run to re-process history with it, ' +
          'look at the diff, then promote — that makes it active together with the re-processed records.'),
        h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Apply')), result));
  }

  replace(main,
    h('h1', {}, `Policy ${name} `, badge(kindOf(latest.spec), 'muted')),
    h('p', {}, `Active generation ${info.active_generation || '–'} of ${info.latest_generation}.`,
      info.active_run ? [' Open run: ', h('a', { href: `#/runs/${enc(info.active_run)}` }, info.active_run), '.'] : null,
      api.can('operator') ? [' ', h('a', { href: `#/runs?policy=${enc(name)}&start=1` }, 'Start a run of this policy')] : null),
    h('section', { 'aria-labelledby': 'p-gens' }, h('h2', { id: 'p-gens' }, 'Generations'),
      h('div', { class: 'filters' }, field('Left', left), field('Right', right)), diffBox),
    h('section', { 'aria-labelledby': 'p-prev' }, h('h2', { id: 'p-prev' }, 'Preview'),
      h('div', { class: 'panel' },
        h('div', { class: 'filters' }, field('Event type', typeSel), field('Generation', previewGen),
          h('button', { type: 'button', class: 'secondary', onclick: pickSamples }, 'Pick sample events')),
        field('Events', events),
        h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: runPreview }, 'Preview')),
        outcomes)),
    applySection);
  showDiff();
}

function outcomeView(o) {
  const r = o.record;
  return h('article', { class: `outcome ${o.outcome}` },
    h('div', {}, badge(o.outcome), ' ', o.rule ? h('code', {}, `rule ${o.rule}`) : null, ' ',
      h('span', { class: 'help' }, `#${o.index} ${o.id || ''}`)),
    r ? h('p', { class: 'summary' }, summaryWithLinks(r.summary, r.links)) : null,
    r ? linksList(r.links) : null,
    r ? fieldsTable(r.fields) : null,
    o.reason ? h('p', { class: 'reason' }, `${o.outcome === 'error' ? 'Error' : 'Dropped'}: ${o.reason}`) : null,
    o.outcome === 'unmatched' ? h('p', { class: 'help' }, 'Selected by the policy, but no rule matched.') : null,
    o.outcome === 'unselected' ? h('p', { class: 'help' }, 'Not selected by this policy (another resource or type).') : null);
}

// Validation problems: each at its line, with the text around it; a click
// puts the cursor on that line of the editor.
function problemsView(err, textarea) {
  const problems = err.details?.problems || [];
  if (!problems.length) return errorBox(err);
  const lines = textarea.value.split('\n');
  const goTo = (line) => {
    const start = lines.slice(0, Math.max(0, line - 1)).reduce((n, l) => n + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1] || '').length);
  };
  const bad = new Set(problems.filter((p) => p.line > 0).map((p) => p.line));
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', {}, err.message),
    h('ul', { class: 'problems' }, problems.map((p) => h('li', {},
      h('span', { class: p.severity === 'error' ? 'err' : '' }, p.line > 0 ? `line ${p.line}, column ${p.column}` : 'document'),
      p.path ? ` (${p.path})` : '', `: ${p.message} `,
      p.line > 0 ? h('button', { type: 'button', class: 'link', onclick: () => goTo(p.line) }, 'show') : null))),
    bad.size ? h('div', { class: 'codeview dl mono', 'aria-label': 'The YAML with the lines that have problems' },
      lines.flatMap((l, i) => (Math.abs([...bad].reduce((best, b) => (Math.abs(b - 1 - i) < Math.abs(best) ? b - 1 - i : best), 1e9)) <= 2
        ? [h('span', { class: 'ln' }, i + 1), h('pre', { class: bad.has(i + 1) ? 'bad' : '' }, l || ' ')] : []))) : null);
}
