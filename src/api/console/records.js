// Records: the visible records of one policy, by tenant and time, paged
// with the API's cursors.
import * as api from './api.js';
import { h, replace, table, time, field, errorBox, Pager, hashQuery, setHashQuery, summaryWithLinks } from './ui.js';

export async function recordsPage(main, ctx) {
  const q = hashQuery();
  const list = await api.get('/v1/policies');
  if (!ctx.alive) return;
  const names = list.policies.map((p) => p.name);
  const policy = h('select', {}, names.map((n) => h('option', { value: n, selected: n === q.get('policy') }, n)));
  const tenant = h('input', { type: 'text', value: q.get('tenant') || '', placeholder: 'all', size: 14 });
  const from = h('input', { type: 'text', value: q.get('from') || '', placeholder: '-7d or RFC 3339', size: 18 });
  const to = h('input', { type: 'text', value: q.get('to') || '', placeholder: 'now', size: 18 });
  const box = h('div', {});
  const pager = new Pager(() => load());
  const load = async () => {
    const params = { policy: policy.value, tenant: tenant.value.trim(), from: from.value.trim(), to: to.value.trim() };
    setHashQuery(params);
    try {
      const page = await api.get('/v1/records', { ...params, cursor: pager.cursor, limit: 50 });
      if (!ctx.alive) return;
      pager.next = page.next_cursor;
      replace(box, table([
        { title: 'time', cell: (r) => time(r.time) },
        { title: 'tenant', cell: (r) => r.tenant },
        { title: 'rule', cell: (r) => r.rule },
        { title: 'gen.', num: true, cell: (r) => r.generation },
        { title: 'summary', cell: (r) => (r.record ? summaryWithLinks(r.record.summary, r.record.links) : h('span', { class: 'empty' }, 'no payload')) },
        { title: 'event', cls: 'hide-narrow', cell: (r) => h('code', {}, `${r.origin_type}/${r.origin_id}`) },
      ], page.records, 'No visible records match.'), pager.render());
    } catch (err) {
      if (ctx.alive) replace(box, errorBox(err));
    }
  };
  const submit = (e) => { e.preventDefault(); pager.reset(); load(); };
  policy.addEventListener('change', submit);
  replace(main, h('h1', {}, 'Records'),
    names.length ? h('form', { class: 'filters', role: 'search', onsubmit: submit },
      field('Policy', policy), field('Tenant', tenant), field('From', from), field('To', to),
      h('button', { type: 'submit', class: 'secondary' }, 'Show')) : h('p', { class: 'empty' }, 'No policies yet.'),
    box);
  if (names.length) load();
}
