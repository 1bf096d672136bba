// Audit: the ledger of every mutating call, paged by cursor; the time range
// is filtered by the server, actor/action/outcome/target text on the page.
import * as api from './api.js';
import { h, replace, table, time, badge, field, errorBox, Pager, hashQuery, setHashQuery } from './ui.js';

export async function auditPage(main, ctx) {
  const q = hashQuery();
  const from = h('input', { type: 'text', value: q.get('from') || '', placeholder: '-24h or RFC 3339', size: 18 });
  const to = h('input', { type: 'text', value: q.get('to') || '', placeholder: 'now', size: 18 });
  const text = h('input', { type: 'search', value: q.get('q') || '', placeholder: 'actor, action, target…', size: 22 });
  const box = h('div', {});
  const pager = new Pager(() => load());
  let entries = [];
  const render = () => {
    const needle = text.value.trim().toLowerCase();
    const shown = needle ? entries.filter((e) => [e.actor, e.action, e.target, e.outcome, e.details]
      .some((v) => (v || '').toLowerCase().includes(needle))) : entries;
    replace(box, h('p', { class: 'help' }, needle ? `${shown.length} of ${entries.length} entries on this page match.` : `${entries.length} entries on this page.`),
      table([
        { title: '#', num: true, cell: (e) => e.number },
        { title: 'time', cell: (e) => time(e.time) },
        { title: 'actor', cell: (e) => e.actor },
        { title: 'action', cell: (e) => h('code', {}, e.action) },
        { title: 'target', cell: (e) => e.target.startsWith('run/') ? h('a', { href: `#/runs/${encodeURIComponent(e.target.slice(4))}` }, e.target) : e.target },
        { title: 'outcome', cell: (e) => badge(e.outcome.split(':')[0], e.outcome === 'ok' ? 'ok' : (e.outcome === 'denied' || e.outcome.startsWith('error') ? 'bad' : 'warn')) },
        { title: 'details', cls: 'hide-narrow', cell: (e) => (e.details ? h('code', {}, e.details) : '') },
      ], shown, 'No entries.'), pager.render());
  };
  const load = async () => {
    setHashQuery({ from: from.value.trim(), to: to.value.trim(), q: text.value.trim() });
    try {
      const page = await api.get('/v1/audit', { from: from.value.trim(), to: to.value.trim(), cursor: pager.cursor, limit: 100 });
      if (!ctx.alive) return;
      pager.next = page.next_cursor;
      entries = page.entries;
      render();
    } catch (err) {
      if (ctx.alive) replace(box, errorBox(err));
    }
  };
  text.addEventListener('input', () => { setHashQuery({ from: from.value.trim(), to: to.value.trim(), q: text.value.trim() }); render(); });
  replace(main, h('h1', {}, 'Audit ledger'),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); pager.reset(); load(); } },
      field('From', from), field('To', to), field('Find', text),
      h('button', { type: 'submit', class: 'secondary' }, 'Show')),
    box);
  load();
}
