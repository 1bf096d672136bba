// The console's shell: sign-in, navigation (hash routes), and the polling
// that keeps live pages current without a reload.
import * as api from './api.js';
import { h, replace, field, errorBox } from './ui.js';
import { overviewPage } from './overview.js';
import { policiesPage, policyPage } from './policies.js';
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { recordsPage } from './records.js';
import { auditPage } from './audit.js';

const main = document.getElementById('main');

const ROUTES = [
  [/^\/overview$/, overviewPage, 'Overview'],
  [/^\/policies$/, policiesPage, 'Policies'],
  [/^\/policies\/([^/]+)$/, policyPage, 'Policies'],
  [/^\/runs$/, runsPage, 'Runs'],
  [/^\/runs\/([^/]+)$/, runPage, 'Runs'],
  [/^\/records$/, recordsPage, 'Records'],
  [/^\/audit$/, auditPage, 'Audit'],
];

// The current page's context: its timers stop when the route changes.
let current = null;
class PageContext {
  constructor() { this.timers = []; this.alive = true; }
  // Calls f now and every `ms` while the page is shown; skips a tick while
  // the previous call is still running, and while the tab is hidden.
  poll(f, ms) {
    let busy = false;
    const tick = async () => {
      if (!this.alive || busy || document.hidden) return;
      busy = true;
      try { await f(); } finally { busy = false; }
    };
    tick();
    this.timers.push(setInterval(tick, ms));
  }
  stop() { this.alive = false; this.timers.forEach(clearInterval); }
}

async function route() {
  if (!api.token()) return showSignIn();
  const path = (location.hash.slice(1) || '/overview').split('?')[0];
  let found = null;
  for (const [re, page, nav] of ROUTES) {
    const m = path.match(re);
    if (m) { found = { page, nav, args: m.slice(1).map(decodeURIComponent) }; break; }
  }
  if (current) current.stop();
  current = new PageContext();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.textContent === found?.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!found) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page. ', h('a', { href: '#/overview' }, 'Go to the overview')));
    return;
  }
  document.title = `${found.nav} · Retro`;
  const ctx = current;
  try {
    await found.page(main, ctx, ...found.args);
  } catch (err) {
    if (ctx.alive) replace(main, h('h1', {}, found.nav), errorBox(err));
  }
}

function showSignIn(message) {
  if (current) current.stop();
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  document.title = 'Sign in · Retro';
  const input = h('input', { type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', size: 40 });
  const err = h('div', {});
  const form = h('form', { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Retro'),
    field('Token', input, 'A bearer token: the admin token is in <data>/admin.token; others come from the server config file. It is kept for this browser session only.'),
    err,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Sign in')));
  if (message) replace(err, errorBox({ message }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = input.value.trim();
    try {
      const who = await api.request('GET', '/v1/whoami', { token: t });
      api.setToken(t);
      signedIn(who);
      if (!location.hash || location.hash === '#/') location.hash = '#/overview';
      else route();
    } catch (ex) {
      replace(err, errorBox(ex.status === 401 ? { message: 'That token is not known to this server. Check it and try again.' } : ex));
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}

function signedIn(who) {
  api.me.name = who.name;
  api.me.role = who.role;
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  replace(document.getElementById('who-name'), `${who.name} (${who.role})`);
}

document.getElementById('sign-out').addEventListener('click', () => {
  api.clearToken();
  showSignIn();
});
api.setUnauthorizedHandler(() => {
  api.clearToken();
  showSignIn('Your token is no longer accepted; sign in again.');
});
window.addEventListener('hashchange', () => { route(); main.focus({ preventScroll: true }); });

(async () => {
  if (api.token()) {
    try {
      signedIn(await api.get('/v1/whoami'));
    } catch (err) {
      if (err.status !== 401) replace(main, errorBox(err));
      return;
    }
  }
  route();
})();
