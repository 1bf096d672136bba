"""Shared by the runs end-to-end tests: generated events, two generations of
a small retro/v1 policy, what the server's preview says each generation
produces, and the diff that follows from those two previews."""
import datetime
import hashlib
import json
import random
import time

SOURCE = """apiVersion: retro/v1
kind: Source
metadata: {name: rt}
spec:
  format: json
  id: data.id
  time: data.ts
  tenant: data.tenant
"""

# Generation 1: every verb matches a rule.
GEN1 = """apiVersion: retro/v1
kind: Policy
metadata: {name: NAME}
spec:
  input: rt
  rules:
    - name: create
      match: "data.verb == 'create'"
      summary: "{{ data.user }} created item {{ string(data.n) }}"
      fields: {item: data.n}
    - name: change
      match: "data.verb == 'update' || data.verb == 'scale'"
      summary: "{{ data.user }} changed item {{ string(data.n) }}"
    - name: remove
      match: "data.verb == 'delete'"
      summary: "{{ data.user }} deleted item {{ string(data.n) }}"
"""

# Generation 2: a changed summary (create), a renamed and narrowed rule
# (change -> update: scale events stop matching), one rule unchanged.
GEN2 = """apiVersion: retro/v1
kind: Policy
metadata: {name: NAME}
spec:
  input: rt
  rules:
    - name: create
      match: "data.verb == 'create'"
      summary: "{{ data.user }} created item #{{ string(data.n) }} in {{ meta.tenant }}"
      fields: {item: data.n}
    - name: update
      match: "data.verb == 'update'"
      summary: "{{ data.user }} changed item {{ string(data.n) }}"
    - name: remove
      match: "data.verb == 'delete'"
      summary: "{{ data.user }} deleted item {{ string(data.n) }}"
"""

# A generation that errors on every event with n % 7 == 0 (data.nope does
# not exist), and its fix.
FLAKY = """apiVersion: retro/v1
kind: Policy
metadata: {name: NAME}
spec:
  input: rt
  rules:
    - name: create
      match: "data.n % 7 == 0 ? data.nope == 'x' : data.verb == 'create'"
      summary: "{{ data.user }} made item {{ string(data.n) }}"
"""
FIXED = FLAKY.replace(
    "data.n % 7 == 0 ? data.nope == 'x' : data.verb == 'create'",
    "data.verb == 'create'").replace("made item", "made item (fixed)")

VERBS = ["create", "update", "scale", "delete"]
TENANTS = ["acme", "globex", "initech"]


def policy(text, name):
    return text.replace("NAME", name)


def rfc3339(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def events(n, seed, prefix, newest_s_ago=120, span_s=86400, start=0):
    """n events of several tenants, times over the span before now."""
    rnd = random.Random(seed)
    now = time.time()
    out = []
    for i in range(start, start + n):
        out.append({
            "id": f"{prefix}{i:06d}",
            "ts": rfc3339(now - newest_s_ago - rnd.random() * span_s),
            "tenant": rnd.choice(TENANTS),
            "verb": rnd.choice(VERBS),
            "user": f"user{rnd.randrange(20)}",
            "n": i,
        })
    return out


def ndjson(evs):
    return "".join(json.dumps(e) + "\n" for e in evs)


def ingest(s, evs, token=None):
    for i in range(0, len(evs), 5000):
        status, body = s.request("POST", "/v1/events?type=rt",
                                 ndjson(evs[i:i + 5000]),
                                 token=token or s.admin,
                                 ctype="application/x-ndjson")
        assert status == 200, body
        assert not body["rejected"], body["rejected"][:3]


def apply(s, text, name, activate=True):
    path = f"/v1/policies/{name}" + ("" if activate else "?activate=false")
    status, body = s.json("PUT", path, policy(text, name))
    assert status in (200, 201), body
    return body["generation"]


def preview(s, name, generation, evs):
    """{event id: the preview's outcome object} for that generation."""
    out = {}
    for i in range(0, len(evs), 5000):
        status, text = s.request(
            "POST",
            f"/v1/policies/{name}/preview?type=rt&generation={generation}",
            ndjson(evs[i:i + 5000]), token=s.admin,
            ctype="application/x-ndjson")
        assert status == 200, text
        for line in text.splitlines():
            o = json.loads(line)
            out[o["id"]] = o
    return out


def visible(s, name):
    """{origin id: the record as GET /v1/records serves it}."""
    recs = s.all_pages(f"/v1/records?policy={name}", "records")
    by_id = {}
    for r in recs:
        assert r["origin_id"] not in by_id, f"twice: {r['origin_id']}"
        by_id[r["origin_id"]] = r
    return by_id


def wait_visible(s, name, count, timeout=20):
    deadline = time.time() + timeout
    while True:
        recs = visible(s, name)
        if len(recs) == count:
            return recs
        if time.time() > deadline:
            raise AssertionError(
                f"{name}: {len(recs)} visible records, expected {count}")
        time.sleep(0.05)


def matched(outcomes):
    return {i: o for i, o in outcomes.items() if o["outcome"] == "matched"}


def expected_diff(old, new, purge=False, tenant_of=None):
    """Counters, transitions and per-tenant counters that follow from the
    visible records `old` ({id: preview outcome, matched only}) and the
    target's outcomes `new` ({id: preview outcome})."""
    def zero():
        return dict.fromkeys(["processed", "matched", "unmatched", "dropped",
                              "errors", "added", "changed", "unchanged",
                              "removed"], 0)
    total, tenants, transitions, category = zero(), {}, {}, {}
    for id_, o in new.items():
        before = old.get(id_)
        c = []
        if o["outcome"] == "matched":
            c.append("matched")
            if before is None:
                c.append("added")
            elif before["record"]["content_hash"] == o["record"]["content_hash"]:
                c.append("unchanged")
            else:
                c.append("changed")
        elif o["outcome"] in ("unmatched", "dropped"):
            c.append(o["outcome"])
            if before is not None and purge:
                c.append("removed")
        elif o["outcome"] == "error":
            c.append("errors")
        else:
            continue  # unselected: not in the policy's scope
        c.append("processed")
        category[id_] = c
        tenant = tenant_of(id_)
        t = tenants.setdefault(tenant, zero())
        for k in c:
            total[k] += 1
            t[k] += 1
        key = (before["rule"] if before else None,
               o.get("rule") if o["outcome"] == "matched" else None)
        transitions[key] = transitions.get(key, 0) + 1
    return total, transitions, tenants, category


def run_transitions(diff, name):
    out = {}
    for t in diff["transitions"]:
        if t["policy"] == name:
            out[(t["from"], t["to"])] = out.get((t["from"], t["to"]), 0) + t["count"]
    return out


def wait_run(s, rid, done=("succeeded", "failed", "cancelled", "promoted",
                           "discarded", "rolled_back"), timeout=30):
    deadline = time.time() + timeout
    while True:
        status, run = s.json("GET", f"/v1/runs/{rid}")
        assert status == 200, run
        if run["state"] in done:
            return run
        if time.time() > deadline:
            raise AssertionError(f"run {rid} still {run['state']}: {run}")
        time.sleep(0.05)


def digest(obj):
    return hashlib.sha256(
        json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]
