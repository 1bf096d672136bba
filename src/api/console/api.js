// The /v1 API client. The token the user typed at sign-in lives in
// sessionStorage only (this browser tab's session), never in a cookie.
const KEY = 'retro.token';

export const ROLES = ['viewer', 'ingest', 'operator', 'admin'];

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.details = e.details || {};
  }
}

export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function clearToken() { sessionStorage.removeItem(KEY); }

// The signed-in principal {name, role}; set by app.js after /v1/whoami.
export const me = { name: '', role: 'viewer' };
export function can(role) { return ROLES.indexOf(me.role) >= ROLES.indexOf(role); }

let onUnauthorized = () => {};
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

// request('GET', '/v1/runs', {query, body, text}) -> parsed JSON (or text).
export async function request(method, path, opts = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Authorization: `Bearer ${opts.token || token()}` };
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['Content-Type'] = opts.contentType || 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers, body, cache: 'no-store' });
  const ctype = res.headers.get('Content-Type') || '';
  const text = await res.text();
  let parsed = text;
  if (ctype.startsWith('application/json') && text) parsed = JSON.parse(text);
  if (!res.ok) {
    const err = new ApiError(res.status, typeof parsed === 'object' ? parsed : null);
    if (res.status === 401 && !opts.token) onUnauthorized(err);
    throw err;
  }
  return parsed;
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, body, query) => request('POST', path, { body, query });
