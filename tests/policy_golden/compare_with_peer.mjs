#!/usr/bin/env node
// Compares Retro's outcomes with the JS peer's (reprocess.mjs, cel-js) on
// every case of cases.txt: for each policy of the case's file that reads the
// case's type, `retro policy preview -o json` and `reprocess.mjs --name` run
// on the same events, and every event must agree on outcome, rule, summary,
// links, fields and dropped reason (both error where either errors). The
// deliberate differences of DIFFERENCES.md are excused, each only in its
// exact shape and only while its `## Dn:` heading is in that file.
//
//   node compare_with_peer.mjs --retro RETRO --shared SHARED_DIR
//        --deps PEER_DEPS_DIR [--cases FILE] [--verbose]
//
// --cases defaults to cases.txt beside this script.
//
// Exit status: 0 all agree, 1 a difference, 2 bad usage or a tool failed.

import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d)
const RETRO = opt('--retro')
const SHARED = opt('--shared')
const DEPS = opt('--deps')
const VERBOSE = args.includes('--verbose')
if (!RETRO || !SHARED || !DEPS) {
  console.error('usage: compare_with_peer.mjs --retro RETRO --shared SHARED_DIR --deps PEER_DEPS_DIR [--verbose]')
  process.exit(2)
}
const FIXTURES = path.join(SHARED, 'fixtures')
const PEER = path.join(SHARED, 'peers/reprocess-js/reprocess.mjs')
const YAML = (await import(pathToFileURL(path.join(DEPS, 'node_modules/yaml/dist/index.js')).href)).default

// The differences DIFFERENCES.md allows, by id.
const allowed = new Set(
  [...fs.readFileSync(path.join(here, 'DIFFERENCES.md'), 'utf8').matchAll(/^## (D\d+):/gm)].map((m) => m[1]))

// ---- helpers --------------------------------------------------------------

// Deep equality of JSON values, object key order ignored.
function same(a, b) {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]))
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort()
  return same(ka, kb) && ka.every((k) => same(a[k], b[k]))
}

// reprocess.mjs's own selection and id rules (copied), so that its output
// lines can be lined up with the input lines they belong to.
const naivePlural = (k) => { const l = k.toLowerCase(); return l.endsWith('s') ? l + 'es' : l.endsWith('y') ? l.slice(0, -1) + 'ies' : l + 's' }
const groupOf = (v) => (v && v.includes('/') ? v.split('/')[0] : '')
function peerSelects(policy, type, raw) {
  if (policy.kind !== 'ActivityPolicy') return true
  const {apiGroup = '', kind} = policy.spec.resource
  if (type === 'event') { const r = raw.regarding || raw.involvedObject || {}; return r.kind === kind && groupOf(r.apiVersion) === apiGroup }
  const o = raw.objectRef || {}
  return (o.apiGroup || '') === apiGroup && o.resource === naivePlural(kind)
}
const peerId = (type, raw) => (type === 'audit' ? raw.auditID : type === 'event' ? raw.metadata?.uid : raw.id ?? raw.itemId)

// The types a policy reads.
function typesOf(policy) {
  if (policy.kind === 'ActivityPolicy') {
    return [...((policy.spec.auditRules || []).length ? ['audit'] : []), ...((policy.spec.eventRules || []).length ? ['event'] : [])]
  }
  const input = policy.spec.input
  return Array.isArray(input) ? input : [input]
}
function rulesOf(policy, type) {
  if (policy.kind !== 'ActivityPolicy') return policy.spec.rules || []
  return (type === 'event' ? policy.spec.eventRules : policy.spec.auditRules) || []
}

// A plain field path ("data.a.b") read from the raw event; undefined when
// the expression is not such a path or a step is missing.
function readPath(expr, raw) {
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(expr)) return undefined
  const [root, ...rest] = expr.split('.')
  if (!['data', 'audit', 'event'].includes(root)) return undefined
  let v = raw
  for (const k of rest) { if (v === null || typeof v !== 'object' || !(k in v)) return undefined; v = v[k] }
  return v
}
const isEmptyContainer = (v) => (Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0)

// Both sides as {kind, rule, summary, links, fields, reason}.
function fromRetro(o) {
  if (!o) return {kind: 'unselected'}
  const r = {kind: o.outcome, rule: o.rule, reason: o.reason}
  if (o.outcome === 'matched') {
    r.summary = o.record.summary
    r.links = o.record.links || []
    r.fields = o.record.fields || {}
  }
  return r
}
function fromPeer(p) {
  if (!p) return {kind: 'unselected'}
  if ('error' in p) return {kind: 'error', reason: p.error}
  if ('dropped' in p) return {kind: 'dropped', reason: p.dropped}
  if (p.unmatched) return {kind: 'unmatched'}
  return {kind: 'matched', rule: p.rule, summary: p.summary, links: p.links || [], fields: p.fields || {}}
}

// Why r and p differ, or null when they agree.
function disagreement(r, p) {
  if (r.kind !== p.kind) return `outcome: retro ${r.kind}, peer ${p.kind}`
  if (r.kind === 'matched') {
    if (r.rule !== p.rule) return `rule: retro ${r.rule}, peer ${p.rule}`
    if (r.summary !== p.summary) return `summary: retro ${JSON.stringify(r.summary)}, peer ${JSON.stringify(p.summary)}`
    if (!same(r.links, p.links)) return `links: retro ${JSON.stringify(r.links)}, peer ${JSON.stringify(p.links)}`
    if (!same(r.fields, p.fields)) return `fields: retro ${JSON.stringify(r.fields)}, peer ${JSON.stringify(p.fields)}`
  }
  if (r.kind === 'dropped' && r.reason !== p.reason) return `dropped reason: retro ${JSON.stringify(r.reason)}, peer ${JSON.stringify(p.reason)}`
  return null
}

// The DIFFERENCES.md id that excuses r vs p for this event, or null.
function excuse(r, p, ctx) {
  const {policy, type, raw, rules} = ctx
  if (r.kind === 'unselected' || p.kind === 'unselected') {
    if (policy.kind !== 'ActivityPolicy' || type !== 'audit') return null
    const o = raw.objectRef || {}
    if ((o.apiGroup || '') !== (policy.spec.resource.apiGroup || '')) return null
    const naive = naivePlural(policy.spec.resource.kind)
    if (p.kind === 'unselected' && o.resource !== naive) return 'D4'
    if (r.kind === 'unselected' && o.resource === naive) return 'D4'
    return null
  }
  if (r.kind === 'error' && /a summary block must yield a string/.test(r.reason || '') && p.kind === 'matched' && p.rule === r.rule) return 'D1'
  if (r.kind === 'error' && /match must yield a bool/.test(r.reason || '')) {
    const idx = rules.findIndex((x) => x.name === r.rule)
    const peerIdx = p.kind === 'matched' ? rules.findIndex((x) => x.name === p.rule) : Infinity
    if (idx >= 0 && peerIdx > idx) return 'D2'
    return null
  }
  if (r.kind === 'dropped' && p.kind === 'matched' && p.rule === r.rule) {
    const expr = (r.reason || '').replace(/^missing /, '')
    if (isEmptyContainer(readPath(expr, raw))) return 'D3'
  }
  return null
}

// ---- the run --------------------------------------------------------------

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'retro-peer-'))
process.on('exit', () => fs.rmSync(work, {recursive: true, force: true}))
const cases = fs.readFileSync(opt('--cases', path.join(here, 'cases.txt')), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/))

let failures = 0, compared = 0
const excused = {}
for (const [file, type, eventsFile] of cases) {
  const policyPath = path.join(FIXTURES, 'policies', file)
  const eventsPath = path.join(FIXTURES, 'events', eventsFile)
  const inputs = fs.readFileSync(eventsPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))

  let retroOut
  try {
    retroOut = execFileSync(RETRO, ['policy', 'preview', policyPath, '--source', path.join(FIXTURES, 'policies/sources.yaml'),
      '--type', type, '--input', eventsPath, '-o', 'json'], {encoding: 'utf8', maxBuffer: 1 << 28})
  } catch (e) {
    console.error(`FAIL ${file} (${type}): retro policy preview failed: ${e.stderr || e.message}`)
    process.exit(2)
  }
  const retro = new Map()  // policy -> index -> outcome
  for (const line of retroOut.split('\n').filter(Boolean)) {
    const o = JSON.parse(line)
    if (o.outcome === 'unselected') continue
    if (!retro.has(o.policy)) retro.set(o.policy, new Map())
    retro.get(o.policy).set(o.index, o)
  }

  const policies = YAML.parseAllDocuments(fs.readFileSync(policyPath, 'utf8')).map((d) => d.toJS())
    .filter((d) => d && (d.kind === 'ActivityPolicy' || d.kind === 'Policy'))
  for (const policy of policies) {
    const name = policy.metadata.name
    if (!typesOf(policy).includes(type)) continue
    const outFile = path.join(work, `${name}.${type}.jsonl`)
    try {
      execFileSync(process.execPath, [PEER, '--policy', policyPath, '--name', name, '--type', type,
        '--events', eventsPath, '--out', outFile, '--deps', DEPS], {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
    } catch (e) {
      console.error(`FAIL ${file} ${name} (${type}): reprocess.mjs failed: ${e.stderr || e.message}`)
      process.exit(2)
    }
    const peerLines = fs.readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    const retroOf = retro.get(name) || new Map()
    const rules = rulesOf(policy, type)
    const counts = {}
    let next = 0, bad = 0
    for (let index = 0; index < inputs.length; index++) {
      const raw = inputs[index]
      const peerRec = peerSelects(policy, type, raw) ? peerLines[next++] : undefined
      const r = fromRetro(retroOf.get(index)), p = fromPeer(peerRec)
      counts[r.kind] = (counts[r.kind] || 0) + 1
      compared++
      let why = null
      if (peerRec && retroOf.get(index) && peerId(type, raw) != null && String(peerId(type, raw)) !== retroOf.get(index).id) {
        why = `id: retro ${retroOf.get(index).id}, peer ${peerRec.origin_id}`
      } else {
        why = disagreement(r, p)
      }
      if (why) {
        const id = excuse(r, p, {policy, type, raw, rules})
        if (id && allowed.has(id)) {
          excused[id] = (excused[id] || 0) + 1
          if (VERBOSE) console.log(`  excused ${id}: ${file} ${name} #${index}: ${why}`)
          continue
        }
        bad++
        console.log(`  MISMATCH ${file} ${name} (${type}) #${index} ${peerId(type, raw)}: ${why}`)
        console.log(`    retro: ${JSON.stringify(retroOf.get(index) || 'unselected')}`)
        console.log(`    peer:  ${JSON.stringify(peerRec || 'unselected')}`)
        if (id) console.log(`    (would be ${id}, which DIFFERENCES.md no longer lists)`)
      } else if (VERBOSE && r.kind === 'error') {
        console.log(`  both error: ${file} ${name} #${index}: retro ${JSON.stringify(r.reason)}; peer ${JSON.stringify(p.reason)}`)
      }
    }
    if (next !== peerLines.length) {
      bad++
      console.log(`  MISMATCH ${file} ${name} (${type}): the peer wrote ${peerLines.length} lines, ${next} expected`)
    }
    failures += bad
    const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')
    console.log(`${bad ? 'FAIL' : 'ok  '} ${file} ${name} (${type}): ${inputs.length} events: ${summary}`)
  }
}
const ex = Object.entries(excused).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'
console.log(`${compared} event×policy outcomes compared; ${failures} mismatch(es); excused differences: ${ex}`)
process.exit(failures ? 1 : 0)
