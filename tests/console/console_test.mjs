// console_e2e: the web console in headless Chromium against a real
// `retro serve` with real data. See README.md.
//
//   node console_test.mjs RETRO EXAMPLES_DIR SCREENSHOT_DIR
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [retro, examples, shots] = process.argv.slice(2);
if (!retro || !examples || !shots) {
  console.error('usage: node console_test.mjs RETRO EXAMPLES_DIR SCREENSHOT_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const TIMEOUT = 20000;

let passed = 0, failed = 0;
let openBrowser = null;  // for a screenshot on failure
const results = [];
async function step(name, f) {
  const t0 = Date.now();
  try {
    await f();
    passed++;
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err.stack || err}`);
    const pages = openBrowser ? openBrowser.contexts().flatMap((c) => c.pages()) : [];
    const page = pages[pages.length - 1];
    if (page) {
      await page.screenshot({ path: path.join(shots, 'FAILED.png'), fullPage: true }).catch(() => {});
      const status = await page.locator('#status').textContent().catch(() => '');
      console.log(`the page at the failure: ${path.join(shots, 'FAILED.png')}; notices: ${status}`);
    }
    throw err;
  }
}
function check(cond, message) { if (!cond) throw new Error(message); }

// ---------------------------------------------------------------- server
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

class Server {
  async start() {
    this.data = fs.mkdtempSync(path.join(os.tmpdir(), 'retro-console-test-'));
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const config = path.join(this.data, 'config.yaml');
    fs.writeFileSync(config, [
      'tokens:',
      `  - {name: vera, role: viewer, token: "${VIEWER}"}`,
      `  - {name: otto, role: operator, token: "${OPERATOR}"}`, ''].join('\n'));
    const log = fs.openSync(path.join(this.data, 'serve.log'), 'a');
    this.proc = spawn(retro, ['serve', '--data', this.data, '--listen', `127.0.0.1:${this.port}`,
      '--config', config, '--log-level', 'warn'], { stdio: ['ignore', log, log] });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`retro serve exited ${this.proc.exitCode}: ${this.logText()}`);
      try {
        const r = await fetch(`${this.url}/readyz`);
        if (r.status === 200) break;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    this.admin = fs.readFileSync(path.join(this.data, 'admin.token'), 'utf8').trim();
  }
  logText() { try { return fs.readFileSync(path.join(this.data, 'serve.log'), 'utf8'); } catch { return ''; } }
  async api(method, p, { token, body, raw, ctype } = {}) {
    const headers = { Authorization: `Bearer ${token || this.admin}` };
    if (body !== undefined || raw !== undefined) headers['Content-Type'] = ctype || 'application/json';
    const r = await fetch(this.url + p, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text, headers: r.headers };
  }
  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      await Promise.race([new Promise((r) => this.proc.once('exit', r)), sleep(10000)]);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    if (!process.env.KEEP_DATA) fs.rmSync(this.data, { recursive: true, force: true });
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// YAML documents of a multi-document file, with the name of each.
function yamlDocs(file) {
  return fs.readFileSync(file, 'utf8').split(/^---\s*$/m).map((d) => d.trim()).filter((d) => /^kind:/m.test(d))
    .map((d) => ({ text: `${d}\n`, name: /name:\s*([\w.-]+)/.exec(d)[1] }));
}

// The fixture audit events, four copies with fresh ids, spread over the
// last two hours (so any clock and the default retention keep them).
function auditEvents() {
  const lines = fs.readFileSync(path.join(examples, 'events/audit.jsonl'), 'utf8').split('\n').filter(Boolean);
  const now = Date.now();
  const out = [];
  for (let k = 0; k < 4; k++) {
    lines.forEach((line, i) => {
      const e = JSON.parse(line);
      const n = k * lines.length + i;
      e.auditID = `${e.auditID.slice(0, -4)}${n.toString(16).padStart(4, '0')}`;
      const t = new Date(now - (n + 1) * 25000).toISOString();
      e.requestReceivedTimestamp = t;
      e.stageTimestamp = t;
      out.push(JSON.stringify(e));
    });
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- browser
async function signIn(browser, server, token, errors, viewport = { width: 1366, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // Any console error (a CSP violation, an exception) fails the test.
  // (Answers with an error status are logged by Chromium too: expected.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text())) {
      errors.push(m.text());
    }
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + '/');
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  return { context, page };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function waitState(page, states) {
  await page.locator('h1 .badge').filter({ hasText: new RegExp(`^(${states.join('|')})$`) }).waitFor({ timeout: 60000 });
}

async function confirm(page, button, expect) {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor();
  const text = await dialog.locator('#confirm-text').textContent();
  check(expect.test(text), `the ${button} confirmation states its consequence: ${text}`);
  await dialog.locator('#confirm-ok').click();
}

async function recordSummaries(page, server) {
  await page.goto(`${server.url}/#/records?policy=deployments`);
  await page.getByRole('heading', { name: 'Records' }).waitFor();
  await page.locator('table tbody tr').first().waitFor();
  return page.locator('table tbody tr td:nth-child(5)').allTextContents();
}

// ---------------------------------------------------------------- the test
async function main() {
  fs.rmSync(shots, { recursive: true, force: true });  // this run's only
  fs.mkdirSync(shots, { recursive: true });
  const server = new Server();
  let browser;
  const errors = [];
  try {
    await server.start();
    const docs = yamlDocs(path.join(examples, 'policies/workloads.activity.yaml'));
    const deployments = docs.find((d) => d.name === 'deployments').text;
    let runId = '';

    await step('load sources, the deployments policy and 240 audit events', async () => {
      for (const d of yamlDocs(path.join(examples, 'policies/sources.yaml'))) {
        const r = await server.api('PUT', `/v1/sources/${d.name}`, { raw: d.text, ctype: 'application/yaml' });
        check(r.status < 300, `source ${d.name}: ${r.text}`);
      }
      let r = await server.api('PUT', '/v1/policies/deployments', { raw: deployments, ctype: 'application/yaml' });
      check(r.status === 201, `policy: ${r.text}`);
      r = await server.api('POST', '/v1/events?type=audit', { raw: auditEvents(), ctype: 'application/x-ndjson' });
      check(r.status === 200, `ingest: ${r.text}`);
      // Live processing writes generation 1's records.
      for (let i = 0; i < 100; i++) {
        r = await server.api('GET', '/v1/records?policy=deployments&limit=1000');
        if (r.json.records.length >= 8) break;
        await sleep(50);
      }
      check(r.json.records.some((x) => x.record.summary.includes('rolled out')), 'generation 1 records are visible');
    });

    await step('assets: content types, ETag revalidation, CSP, unknown file', async () => {
      let r = await fetch(server.url + '/');
      check(r.status === 200 && r.headers.get('content-type').startsWith('text/html'), 'index.html at /');
      const csp = r.headers.get('content-security-policy') || '';
      check(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), `CSP allows only own scripts: ${csp}`);
      const etag = r.headers.get('etag');
      check(etag && r.headers.get('cache-control') === 'no-cache', 'ETag and no-cache');
      r = await fetch(server.url + '/', { headers: { 'If-None-Match': etag } });
      check(r.status === 304, `If-None-Match gives 304, got ${r.status}`);
      r = await fetch(server.url + '/console/app.js');
      check(r.status === 200 && r.headers.get('content-type').startsWith('text/javascript'), 'app.js is JavaScript');
      r = await fetch(server.url + '/console/style.css');
      check(r.headers.get('content-type').startsWith('text/css'), 'style.css is CSS');
      r = await fetch(server.url + '/console/nope.js');
      check(r.status === 404, 'unknown asset is 404');
      const who = await server.api('GET', '/v1/whoami', { token: VIEWER });
      check(who.json.name === 'vera' && who.json.role === 'viewer', `whoami: ${who.text}`);
      const stats = await server.api('GET', '/v1/stats', { token: VIEWER });
      check(stats.json.interval_seconds === 10 && stats.json.samples.length >= 2 &&
        stats.json.samples[stats.json.samples.length - 1].accepted >= 240, `stats: ${stats.text}`);
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    openBrowser = browser;
    let admin;

    await step('sign in: a wrong token is refused, the admin token lands on the overview', async () => {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(TIMEOUT);
      await page.goto(server.url + '/');
      await page.getByLabel('Token').fill('not-a-token-at-all');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('not known to this server').waitFor();
      await shot(page, 'signin');
      await context.close();
      admin = await signIn(browser, server, server.admin, errors);
      await admin.page.getByText('admin (admin)').waitFor();
      await admin.page.locator('.chart svg path.line').first().waitFor();
      await shot(admin.page, 'overview');
    });

    await step('policies: the list shows kind and generations', async () => {
      const page = admin.page;
      await page.getByRole('link', { name: 'Policies' }).click();
      const row = page.locator('tr', { has: page.getByRole('link', { name: 'deployments' }) });
      await row.waitFor();
      const text = await row.textContent();
      check(/ActivityPolicy/.test(text), `kind in the list: ${text}`);
      await shot(page, 'policies');
    });

    await step('apply: a bad expression is shown at its line; a good change becomes generation 2 (not active)', async () => {
      const page = admin.page;
      await page.getByRole('link', { name: 'deployments' }).click();
      const yaml = page.locator('textarea[aria-label="Policy YAML"]');
      await yaml.waitFor();
      const bad = deployments.replace("audit.verb == 'create'", "audit.verb === 'create'");
      await yaml.fill(bad);
      await page.getByRole('button', { name: 'Apply' }).click();
      const problems = page.locator('.problems li');
      await problems.first().waitFor();
      const badLine = bad.split('\n').findIndex((l) => l.includes('===')) + 1;
      const ptext = await problems.first().textContent();
      check(ptext.includes(`line ${badLine}`), `problem at line ${badLine}: ${ptext}`);
      check(await page.locator('.codeview pre.bad').count() >= 1, 'the bad line is marked');
      await shot(page, 'policy-invalid');
      await yaml.fill(deployments.replace('rolled out', 'deployed'));
      await page.getByLabel('Activate now').uncheck();
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Generation 2 stored; the active generation is 1.').waitFor();
      // The page reloads with the two generations side by side.
      await page.locator('#diff-summary', { hasText: '1 line(s) removed, 1 added.' }).waitFor();
      check(await page.locator('.side .del').count() === 1 && await page.locator('.side .ins').count() === 1, 'one changed line each side');
      await shot(page, 'policy-diff');
    });

    await step('preview: sample events under generation 2 give the new wording', async () => {
      const page = admin.page;
      await page.getByLabel('Event type').selectOption('audit');
      await page.getByLabel('Generation', { exact: true }).selectOption('2');
      await page.getByRole('button', { name: 'Pick sample events' }).click();
      await page.waitForFunction(() => document.querySelector('textarea.code').value.length > 100);
      // Sample events may all be unselected; add known rollouts.
      const rollouts = auditEvents().split('\n').filter((l) => l.includes('"verb":"create"') && l.includes('"deployments"')).slice(0, 2);
      const events = page.getByLabel('Events', { exact: true });
      await events.fill(`${await events.inputValue()}\n${rollouts.join('\n')}`);
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.locator('.outcome.matched').first().waitFor();
      const summaries = await page.locator('.outcome.matched .summary').allTextContents();
      check(summaries.some((s) => s.includes('deployed')), `preview uses generation 2: ${summaries}`);
      check(await page.locator('.outcome.matched mark.link').count() > 0, 'links are marked in the summary');
      await page.locator('section', { has: page.getByRole('heading', { name: 'Preview' }) }).screenshot({ path: path.join(shots, 'policy-preview.png') });
    });

    await step('runs: start a shadow run from the form and watch it finish', async () => {
      const page = admin.page;
      await page.goto(`${server.url}/#/runs?policy=deployments&start=1`);
      await page.getByLabel('Policies', { exact: true }).fill('deployments');
      await page.getByLabel('From', { exact: true }).fill('-1d');
      await page.getByLabel('shadow').check();
      await page.getByLabel('Reason').fill('console test: new wording');
      await shot(page, 'runs-start');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.waitForURL(/#\/runs\/r-/);
      runId = decodeURIComponent(page.url().split('#/runs/')[1]);
      await page.getByRole('progressbar').first().waitFor();
      await waitState(page, ['succeeded']);
      await page.locator('[role=progressbar][aria-valuenow="100.0"]').waitFor();
    });

    await step('run page: the diff shows counts, the heat map and word-marked samples', async () => {
      const page = admin.page;
      await page.getByText('Final.').waitFor();
      const changed = await page.locator('#r-diff ~ div table tr', { hasText: /^changed/ }).first().textContent();
      check(/changed\s*[1-9]/.test(changed), `changed count: ${changed}`);
      const heat = page.locator('table.heat');
      await heat.waitFor();
      check((await heat.textContent()).includes('rollout'), 'the heat map names the rules');
      await page.locator('.samples ins', { hasText: 'deployed' }).first().waitFor();
      await page.locator('.samples del', { hasText: 'rolled' }).first().waitFor();
      check(await page.getByRole('button', { name: 'Promote', exact: true }).isEnabled(), 'promote is offered');
      await shot(page, 'run');
      const narrow = await signIn(browser, server, server.admin, errors, { width: 390, height: 844 });
      const np = narrow.page;
      await np.goto(`${server.url}/#/runs/${encodeURIComponent(runId)}`);
      await np.locator('h1 .badge').waitFor();
      await np.locator('.samples').waitFor();
      const overflow = await np.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `no horizontal scrolling on a narrow window (${overflow}px)`);
      await shot(np, 'run-narrow');
      await narrow.context.close();
    });

    await step('records: before promote they show generation 1', async () => {
      const s = await recordSummaries(admin.page, server);
      check(s.some((x) => x.includes('rolled out')) && !s.some((x) => x.includes('deployed')), `old wording: ${s}`);
    });

    await step('promote (confirmed) makes the new records visible', async () => {
      const page = admin.page;
      await page.goto(`${server.url}/#/runs/${encodeURIComponent(runId)}`);
      await confirm(page, 'Promote', /become visible/);
      await waitState(page, ['promoted']);
      const s = await recordSummaries(page, server);
      check(s.some((x) => x.includes('deployed')) && !s.some((x) => x.includes('rolled out')), `new wording: ${s}`);
      await shot(page, 'records');
    });

    await step('roll back (confirmed) restores what was visible before', async () => {
      const page = admin.page;
      await page.goto(`${server.url}/#/runs/${encodeURIComponent(runId)}`);
      await confirm(page, 'Roll back', /exactly what was visible before/);
      await waitState(page, ['rolled_back', 'rolled back']);
      const s = await recordSummaries(page, server);
      check(s.some((x) => x.includes('rolled out')) && !s.some((x) => x.includes('deployed')), `old wording again: ${s}`);
    });

    await step('a viewer is offered no action, and the API refuses', async () => {
      const viewer = await signIn(browser, server, VIEWER, errors);
      const page = viewer.page;
      await page.goto(`${server.url}/#/runs/${encodeURIComponent(runId)}`);
      await page.getByText('acting on runs needs the operator role').waitFor();
      for (const name of ['Pause', 'Resume', 'Promote', 'Roll back', 'Discard', 'Cancel run', 'Force promote']) {
        check(await page.getByRole('button', { name, exact: true }).count() === 0, `no ${name} button for a viewer`);
      }
      await page.goto(`${server.url}/#/runs`);
      await page.getByRole('heading', { name: 'All runs' }).waitFor();
      check(await page.getByText('Start a run').count() === 0, 'no start form for a viewer');
      await page.goto(`${server.url}/#/policies/deployments`);
      await page.getByRole('heading', { name: 'Preview' }).waitFor();
      check(await page.getByRole('heading', { name: 'Apply a new version' }).count() === 0, 'no apply for a viewer');
      await shot(page, 'viewer-policy');
      let r = await server.api('POST', `/v1/runs/${runId}/rollback`, { token: VIEWER, body: {} });
      check(r.status === 403, `viewer action refused: ${r.status} ${r.text}`);
      r = await server.api('POST', '/v1/runs', { token: VIEWER, body: { policies: ['deployments'], from: '-1d' } });
      check(r.status === 403, `viewer start refused: ${r.status}`);
      r = await server.api('PUT', '/v1/policies/deployments', { token: VIEWER, raw: deployments, ctype: 'application/yaml' });
      check(r.status === 403, `viewer apply refused: ${r.status}`);
      await viewer.context.close();
    });

    let blocked = '';
    await step('a blocked promote: the operator sees why and cannot force it', async () => {
      const r = await server.api('POST', '/v1/runs', { token: OPERATOR,
        body: { policies: ['deployments'], from: '-1d', mode: 'shadow', gates: { max_changed_ratio: 0 }, reason: 'gate test' } });
      check(r.status === 202, `start: ${r.status} ${r.text}`);
      blocked = r.json.id;
      const op = await signIn(browser, server, OPERATOR, errors);
      const page = op.page;
      await page.goto(`${server.url}/#/runs/${encodeURIComponent(blocked)}`);
      await waitState(page, ['succeeded']);
      await page.getByText('Promote is blocked:').waitFor();
      check(/changed/.test(await page.locator('ul.blocking').textContent()), 'the blocking reason names the changed ratio');
      check(await page.getByRole('button', { name: 'Promote', exact: true }).isDisabled(), 'promote is disabled');
      check(await page.getByRole('button', { name: 'Force promote' }).count() === 0, 'no force for an operator');
      await page.getByText('can be forced by an admin only').waitFor();
      await shot(page, 'run-blocked-operator');
      const f = await server.api('POST', `/v1/runs/${blocked}/promote`, { token: OPERATOR, body: { force: true } });
      check(f.status === 403, `operator force refused: ${f.status} ${f.text}`);
      const p = await server.api('POST', `/v1/runs/${blocked}/promote`, { token: OPERATOR, body: { force: false } });
      check(p.status === 409 && (p.json.error.details.blocking_reasons || []).length > 0, `blocked promote is 409 with reasons: ${p.text}`);
      await op.context.close();
    });

    await step('an admin can force the promote (confirmed, audited)', async () => {
      const page = admin.page;
      await page.goto(`${server.url}/#/runs/${encodeURIComponent(blocked)}`);
      await waitState(page, ['succeeded']);
      await confirm(page, 'Force promote', /audit ledger/);
      await waitState(page, ['promoted']);
      await page.locator('h1 .badge', { hasText: 'forced' }).waitFor();
    });

    await step('audit: the ledger lists the actions and filters them', async () => {
      const page = admin.page;
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.locator('table tbody tr').first().waitFor();
      await page.getByLabel('Find').fill('run.promote');
      await page.getByText(/entries on this page match/).waitFor();
      const rows = await page.locator('table tbody tr').allTextContents();
      check(rows.length >= 3 && rows.every((r) => r.includes('run.promote')), `filtered rows: ${rows.length}`);
      check(rows.some((r) => r.includes('otto') && r.includes('denied')), 'the refused force is in the ledger');
      await shot(page, 'audit');
    });

    await step('runs list: filter by state; overview shows insights and charts', async () => {
      const page = admin.page;
      await page.goto(`${server.url}/#/runs?state=promoted`);
      await page.getByRole('link', { name: blocked }).waitFor();
      check(await page.getByRole('link', { name: runId }).count() === 0, 'the rolled-back run is filtered out');
      await shot(page, 'runs');
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.locator('.chart svg').first().waitFor();
      await shot(page, 'overview-after');
      // Keyboard: after a reload, the first Tab reaches the skip link.
      await page.reload();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.keyboard.press('Tab');
      check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'first Tab reaches the skip link');
    });

    await step('no browser console errors (CSP violations, exceptions)', async () => {
      check(errors.length === 0, errors.join('\n'));
    });
  } catch (err) {
    if (!failed) { failed++; console.log(`FAIL setup: ${err.stack || err}`); }
    const log = server.logText();
    if (log) console.log(`--- serve.log (last 2000 chars)\n${log.slice(-2000)}`);
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
  console.log(`screenshots: ${shots}`);
  console.log(`console_e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
