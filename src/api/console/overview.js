// Overview: ingest rate and live lag over the last hour, open runs with
// their progress, recent insights. Polled every 2 s.
import * as api from './api.js';
import { h, replace, lineChart, progress, badge, table, time, fmtNum, fmtRate, fmtDuration, errorBox } from './ui.js';

const OPEN = ['queued', 'running', 'paused'];

export async function overviewPage(main, ctx) {
  const charts = h('div', { class: 'grid' });
  const runs = h('div', {});
  const insights = h('div', {});
  replace(main, h('h1', {}, 'Overview'),
    h('section', { 'aria-labelledby': 'ov-live' }, h('h2', { id: 'ov-live' }, 'Live processing (last hour)'), charts),
    h('section', { 'aria-labelledby': 'ov-runs' }, h('h2', { id: 'ov-runs' }, 'Open runs'), runs),
    h('section', { 'aria-labelledby': 'ov-ins' }, h('h2', { id: 'ov-ins' }, 'Recent insights'), insights));

  ctx.poll(async () => {
    try {
      const stats = await api.get('/v1/stats');
      if (!ctx.alive) return;
      const now = Date.now(), t0 = now - 3600e3;
      const samples = stats.samples.map((x) => ({ ...x, t: Date.parse(x.time) })).filter((x) => x.t >= t0);
      const last = samples[samples.length - 1] || {};
      const rate = samples.slice(1).map((x) => ({ t: x.t, v: x.ingest_rate }));
      const lag = samples.map((x) => ({ t: x.t, v: x.lag_p99_seconds * 1000 }));
      replace(charts,
        h('div', { class: 'panel' }, h('h3', {}, 'Ingest rate'),
          h('p', { class: 'help' }, `now ${fmtRate(last.ingest_rate)} · ${fmtNum(last.accepted)} events accepted since start`),
          lineChart(rate, { t0, t1: now, unit: '/s', label: 'Ingest rate in events per second over the last hour' })),
        h('div', { class: 'panel' }, h('h3', {}, 'Live lag (p99)'),
          h('p', { class: 'help' }, `now ${fmtNum((last.lag_p99_seconds || 0) * 1000)} ms · queue ${fmtNum(last.queue_depth)} · ${fmtNum(last.cursor_lag)} events not yet processed`),
          lineChart(lag, { t0, t1: now, unit: ' ms', label: 'Live lag p99 in milliseconds over the last hour' })));
    } catch (err) {
      if (ctx.alive) replace(charts, errorBox(err));
    }
    try {
      const lists = await Promise.all(OPEN.map((state) => api.get('/v1/runs', { state, limit: 100 })));
      if (!ctx.alive) return;
      const open = lists.flatMap((l) => l.runs);
      replace(runs, table([
        { title: 'run', cell: (r) => h('a', { href: `#/runs/${encodeURIComponent(r.id)}` }, r.id) },
        { title: 'state', cell: (r) => badge(r.state) },
        { title: 'policies', cell: (r) => (r.policies || []).map((p) => p.name).join(', ') },
        { title: 'progress', cell: (r) => progress(r.progress?.percent, false, `progress of ${r.id}`) },
        { title: 'rate', num: true, cell: (r) => fmtRate(r.progress?.rate) },
        { title: 'ETA', num: true, cell: (r) => fmtDuration(r.progress?.eta_seconds) },
      ], open, 'No run is open.'));
    } catch (err) {
      if (ctx.alive) replace(runs, errorBox(err));
    }
    try {
      const ins = await api.get('/v1/insights');
      if (!ctx.alive) return;
      replace(insights, table([
        { title: 'when', cell: (i) => time(i.time) },
        { title: 'severity', cell: (i) => badge(i.severity) },
        { title: 'kind', cell: (i) => i.kind },
        { title: 'policy', cell: (i) => i.policy },
        { title: 'run', cell: (i) => i.run ? h('a', { href: `#/runs/${encodeURIComponent(i.run)}` }, i.run) : '' },
        { title: 'message', cell: (i) => i.message },
      ], (ins.insights || []).slice(0, 20), 'No insights: nothing looks wrong.'));
    } catch (err) {
      if (ctx.alive) replace(insights, errorBox(err));
    }
  }, 2000);
}
