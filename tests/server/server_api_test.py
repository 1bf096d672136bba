"""End-to-end tests of `retro serve` over HTTP: fixtures in, records out
(identical to `retro policy preview`), duplicates and conflicts, rejected
inputs with their messages, and the authorisation matrix.

Usage: server_api_test.py RETRO_BINARY SHARED_DIR
"""
import glob
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Server

RETRO = SHARED = None
FIXTURE_TYPES = {"audit.jsonl": "audit", "k8s-events.jsonl": "event",
                 "usage.jsonl": "usage", "catalog.jsonl": "catalog_item"}


def fixture(*parts):
    return os.path.join(SHARED, "fixtures", *parts)


def read(path):
    with open(path) as f:
        return f.read()


def split_docs(text):
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            docs.append("".join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append("".join(cur))
    return [d for d in docs if "kind:" in d]


def doc_name(doc):
    for line in doc.splitlines():
        s = line.strip()
        if s.startswith("metadata:") and "name:" in s:
            return s.split("name:")[1].strip(" }")
        if s.startswith("name:"):
            return s.split(":", 1)[1].strip()
    raise ValueError(doc)


class ServerApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tokens = {r: f"{r}-token-0123456789abcdef" for r in
                      ("viewer", "ingest", "operator", "admin2")}
        cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cfg.write("tokens:\n" + "".join(
            f"  - {{name: {r}, role: {r.rstrip('2')}, token: {t}}}\n"
            for r, t in cls.tokens.items()))
        cfg.close()
        cls.cfg = cfg.name
        cls.server = Server(RETRO, extra=["--config", cfg.name,
                                          "--max-body-bytes", "2000000"]).start()
        s = cls.server
        for doc in split_docs(read(fixture("policies", "sources.yaml"))):
            status, body = s.json("PUT", f"/v1/sources/{doc_name(doc)}", doc)
            assert status in (200, 201), body
        for path in sorted(glob.glob(fixture("policies", "*.yaml"))):
            if path.endswith("sources.yaml"):
                continue
            for doc in split_docs(read(path)):
                status, body = s.json("PUT", f"/v1/policies/{doc_name(doc)}", doc)
                assert status in (200, 201), body
        for name, typ in FIXTURE_TYPES.items():
            status, body = s.json("POST", f"/v1/events?type={typ}",
                                  read(fixture("events", name)))
            assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        os.unlink(cls.cfg)

    def wait_records(self, policy, n):
        import time
        deadline = time.time() + 10
        while True:
            recs = self.server.all_pages(f"/v1/records?policy={policy}", "records")
            if len(recs) >= n or time.time() > deadline:
                return recs
            time.sleep(0.05)

    def test_records_match_preview_exactly(self):
        checked = 0
        for path in sorted(glob.glob(fixture("policies", "*.yaml"))):
            if path.endswith("sources.yaml"):
                continue
            for events, typ in FIXTURE_TYPES.items():
                out = subprocess.run(
                    [RETRO, "policy", "preview", path, "--type", typ, "--input",
                     fixture("events", events), "--source",
                     fixture("policies", "sources.yaml"), "-o", "json"],
                    capture_output=True, text=True, check=True).stdout
                expected, fixture_ids = {}, set()
                for line in out.splitlines():
                    o = json.loads(line)
                    fixture_ids.add(o["id"])
                    if o["outcome"] == "matched":
                        expected.setdefault(o["policy"], {})[o["id"]] = o
                for policy, by_id in expected.items():
                    # Other tests add events; compare the fixture's only.
                    recs = [r for r in self.wait_records(policy, len(by_id))
                            if r["origin_type"] == typ and
                            r["origin_id"] in fixture_ids]
                    got = {r["origin_id"]: r for r in recs}
                    self.assertEqual(set(got), set(by_id), policy)
                    for id_, o in by_id.items():
                        self.assertEqual(got[id_]["record"], o["record"], id_)
                        self.assertEqual(got[id_]["rule"], o["rule"], id_)
                        checked += 1
        self.assertGreater(checked, 100)

    def test_server_preview_matches_cli_preview(self):
        path = fixture("policies", "usage-billing.policy.yaml")
        cli = subprocess.run(
            [RETRO, "policy", "preview", path, "--type", "usage", "--input",
             fixture("events", "usage.jsonl"), "--source",
             fixture("policies", "sources.yaml"), "-o", "json"],
            capture_output=True, text=True, check=True).stdout
        status, body = self.server.json(
            "POST", "/v1/policies/usage-billing/preview?type=usage",
            read(fixture("events", "usage.jsonl")))
        self.assertEqual(status, 200)
        self.assertEqual(body, cli)

    def test_embedded_tests_run_on_the_server(self):
        s = self.server
        status, body = s.json("POST", "/v1/policies/usage-billing/test", "")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["policy"], "usage-billing")
        self.assertEqual(body["failed"], 0)
        self.assertEqual(body["passed"], len(body["tests"]))
        self.assertGreaterEqual(body["passed"], 2)
        self.assertIn("a model call becomes a billing record",
                      [t["name"] for t in body["tests"]])
        # A generation whose tests fail says which and why.
        doc = read(fixture("policies", "usage-billing.policy.yaml"))
        broken = doc.replace("name: usage-billing",
                             "name: usage-billing-broken", 1)
        broken = broken.replace("summary: \"", "summary: \"Changed: ", 1)
        self.assertNotEqual(broken, doc)
        status, body = s.json("PUT", "/v1/policies/usage-billing-broken",
                              broken)
        self.assertIn(status, (200, 201), body)
        status, body = s.json("POST",
                              "/v1/policies/usage-billing-broken/test", "")
        self.assertEqual(status, 200, body)
        self.assertGreater(body["failed"], 0)
        failing = [t for t in body["tests"] if not t["passed"]]
        self.assertTrue(any("summary" in f for t in failing
                            for f in t["failures"]), failing)
        status, body = s.json("POST",
                              "/v1/policies/usage-billing/test?generation=x",
                              "")
        self.assertEqual(status, 400)
        status, body = s.json("POST", "/v1/policies/nope/test", "")
        self.assertEqual(status, 404)
        s.json("DELETE", "/v1/policies/usage-billing-broken")

    def test_duplicates_are_counted_no_ops(self):
        status, body = self.server.json("POST", "/v1/events?type=audit",
                                        read(fixture("events", "audit.jsonl")))
        self.assertEqual(status, 200)
        self.assertEqual(body["accepted"], 0)
        self.assertEqual(body["duplicates"], 60)
        self.assertEqual(body["rejected"], [])

    def test_small_requests_on_one_connection_are_answered_at_once(self):
        # A keep-alive client sending one small event per request: each
        # answer must come back without waiting for the client's delayed ACK
        # (40 ms on Linux) — the server writes an answer's head and body
        # separately, so it needs TCP_NODELAY.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                          timeout=10)
        times = []
        for i in range(15):
            line = json.dumps({
                "kind": "Event", "apiVersion": "audit.k8s.io/v1",
                "auditID": f"nodelay-{i}", "verb": "get",
                "user": {"username": "alice", "extra": {}},
                "requestReceivedTimestamp": "2026-11-20T00:01:56Z"})
            start = time.monotonic()
            conn.request("POST", "/v1/events?type=audit", line.encode(), {
                "Authorization": f"Bearer {self.server.admin}",
                "Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            body = json.loads(r.read())
            times.append(time.monotonic() - start)
            self.assertEqual(r.status, 200, body)
            self.assertEqual(body["accepted"], 1, body)
        conn.close()
        times.sort()
        self.assertLess(times[len(times) // 2], 0.030,
                        f"median answer time {times[len(times) // 2]:.3f} s")

    def test_conflict_is_409_and_writes_nothing(self):
        line = read(fixture("events", "usage.jsonl")).splitlines()[0]
        ev = json.loads(line)
        ev["orgId"] = "org_changed"
        status, body = self.server.json("POST", "/v1/events?type=usage",
                                        json.dumps(ev))
        self.assertEqual(status, 409, body)
        self.assertIn("different content", body["error"]["message"])
        status, got = self.server.json(
            "GET", f"/v1/events?type=usage&id={ev['id']}")
        self.assertEqual(json.loads(line), got["events"][0]["data"])
        # In a batch, the conflicting line alone is rejected.
        new = dict(ev, id="req_conflict_batch_new", orgId="org_x")
        status, body = self.server.json(
            "POST", "/v1/events?type=usage",
            json.dumps(ev) + "\n" + json.dumps(new) + "\n")
        self.assertEqual(status, 200)
        self.assertEqual(body["accepted"], 1)
        self.assertEqual([(r["index"], r["code"]) for r in body["rejected"]],
                         [(0, "conflict")])

    def test_bad_lines_are_rejected_alone_with_messages(self):
        body = ('{"id":"ok-1","createdAt":"2026-11-20T00:00:00Z"}\n'
                '{"id": broken\n'
                '[1,2]\n'
                '{"createdAt":"2026-11-20T00:00:00Z"}\n'
                '{"id":"ok-2","createdAt":"not a time"}\n')
        status, r = self.server.json("POST", "/v1/events?type=usage", body)
        self.assertEqual(status, 200)
        self.assertEqual(r["accepted"], 1)
        rej = {x["index"]: x["error"] for x in r["rejected"]}
        self.assertEqual(sorted(rej), [1, 2, 3, 4])
        self.assertIn("not valid JSON", rej[1])
        self.assertIn("line 2", rej[1])
        self.assertIn("must be a JSON object", rej[2])
        self.assertIn("id", rej[3])
        self.assertIn("time", rej[4])

    def test_body_errors(self):
        s = self.server
        status, r = s.json("POST", "/v1/events?type=usage", "x" * 2_100_000)
        self.assertEqual(status, 413)
        self.assertEqual(r["error"]["code"], "payload_too_large")
        self.assertIn("limit", r["error"]["message"])
        status, r = s.json("POST", "/v1/events?type=usage", "[{\"a\":1},")
        self.assertEqual(status, 400)
        self.assertIn("not a valid JSON array", r["error"]["message"])
        status, r = s.json("POST", "/v1/events", "{}")
        self.assertEqual(status, 400)
        self.assertIn("type", r["error"]["message"])
        status, r = s.request("GET", "/v1/policies")
        self.assertEqual(status, 401)
        self.assertEqual(r["error"]["code"], "unauthorized")
        status, r = s.request("GET", "/v1/policies", token="nope-nope-nope-nope")
        self.assertEqual(status, 401)
        status, r = s.json("GET", "/v1/policies/nope")
        self.assertEqual(status, 404)
        status, r = s.json("GET", "/v1/records")
        self.assertEqual(status, 400)
        status, r = s.json("GET", "/v1/events?from=yesterday")
        self.assertEqual(status, 400)
        # A POST that says nothing of its body length is refused at once
        # (not after a read timeout): the message says what to send.
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.putrequest("POST", "/v1/runs/r-none/rollback")
        conn.putheader("Authorization", f"Bearer {s.admin}")
        conn.endheaders()
        resp = conn.getresponse()
        r = json.loads(resp.read())
        conn.close()
        self.assertEqual(resp.status, 411)
        self.assertEqual(r["error"]["code"], "length_required")
        self.assertIn("Content-Length", r["error"]["message"])

    def test_invalid_policies_are_422_with_locations(self):
        for path in sorted(glob.glob(fixture("invalid", "*.yaml"))):
            text = read(path)
            name = "invalid-" + os.path.basename(path).split(".")[0]
            status, r = self.server.json("PUT", f"/v1/policies/{name}", text)
            self.assertEqual(status, 422, path)
            problems = r["error"]["details"]["problems"]
            self.assertTrue(problems, path)
            located = [p for p in problems
                       if p["line"] > 0 and p["severity"] == "error"]
            self.assertTrue(located, (path, problems))
            status, _ = self.server.json("GET", f"/v1/policies/{name}")
            self.assertEqual(status, 404, path)

    def test_policy_generations(self):
        s = self.server
        doc = split_docs(read(fixture("policies", "usage-billing.policy.yaml")))[0]
        doc2 = doc.replace("team: billing", "team: billing").replace(
            "embeddings: 0.0001", "embeddings: 0.0002")
        doc2 = doc2.replace("name: usage-billing", "name: gen-test")
        status, r = s.json("PUT", "/v1/policies/gen-test", doc2)
        self.assertEqual((status, r["generation"], r["created"]), (201, 1, True))
        status, r = s.json("PUT", "/v1/policies/gen-test", doc2)
        self.assertEqual((status, r["generation"], r["created"]), (200, 1, False))
        doc3 = doc2.replace("embeddings: 0.0002", "embeddings: 0.0003")
        status, r = s.json("PUT", "/v1/policies/gen-test", doc3)
        self.assertEqual((status, r["generation"]), (201, 2))
        status, r = s.json("GET", "/v1/policies/gen-test/generations")
        self.assertEqual([g["generation"] for g in r["generations"]], [1, 2])
        self.assertEqual(r["active_generation"], 2)
        # `retro policy diff`: the last change, any two generations, a file.
        env = dict(os.environ, RETRO_SERVER=s.url, RETRO_TOKEN=s.admin)

        def diff(*args):
            return subprocess.run([RETRO, "policy", "diff", "gen-test", *args],
                                  capture_output=True, text=True, env=env)
        p = diff()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--- policy/gen-test generation 1\n"
                      "+++ policy/gen-test generation 2 (active)\n", p.stdout)
        self.assertIn("\n-      embeddings: 0.0002\n"
                      "+      embeddings: 0.0003\n", p.stdout)
        p = diff("--from", "2", "--to", "1")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("+      embeddings: 0.0002\n", p.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(doc3)
            f.flush()
            p = diff("--file", f.name)
            self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
            self.assertIn("no differences", p.stderr)
        p = diff("--to", "7")
        self.assertEqual(p.returncode, 1)
        self.assertIn("generation 7", p.stderr)
        status, r = s.json("DELETE", "/v1/policies/gen-test")
        self.assertEqual(status, 200)
        status, r = s.json("GET", "/v1/policies")
        self.assertNotIn("gen-test", [p["name"] for p in r["policies"]])

    def test_authorisation_matrix(self):
        s = self.server
        roles = {"viewer": 0, "ingest": 1, "operator": 2, "admin2": 3}
        policy_doc = split_docs(read(fixture("policies",
                                             "usage-billing.policy.yaml")))[0]
        source_doc = split_docs(read(fixture("policies", "sources.yaml")))[2]

        def events_count():
            return len(s.all_pages("/v1/events?type=authz", "events"))

        def policy_exists(n):
            st, r = s.json("GET", f"/v1/policies/{n}")
            return st == 200 and not r["deleted"]

        def source_exists(n):
            return s.json("GET", f"/v1/sources/{n}")[0] == 200

        for role, level in roles.items():
            tok = self.tokens[role]
            pname, sname = f"authz-p-{role}", f"authz-s-{role}"
            # Pre-existing objects to delete.
            dname, dsname = f"authz-del-{role}", f"authz-sdel-{role}"
            self.assertIn(s.json("PUT", f"/v1/policies/{dname}",
                                 policy_doc.replace("name: usage-billing",
                                                    f"name: {dname}"))[0],
                          (200, 201))
            self.assertIn(s.json("PUT", f"/v1/sources/{dsname}",
                                 source_doc.replace("name: usage",
                                                    f"name: {dsname}"))[0],
                          (200, 201))
            routes = [
                ("POST", "/v1/events?type=authz",
                 json.dumps({"id": f"authz-{role}"}), 1,
                 lambda: events_count()),
                ("PUT", f"/v1/policies/{pname}",
                 policy_doc.replace("name: usage-billing", f"name: {pname}"), 3,
                 lambda: policy_exists(pname)),
                ("DELETE", f"/v1/policies/{dname}", None, 3,
                 lambda: policy_exists(dname)),
                ("PUT", f"/v1/sources/{sname}",
                 source_doc.replace("name: usage", f"name: {sname}"), 3,
                 lambda: source_exists(sname)),
                ("DELETE", f"/v1/sources/{dsname}", None, 3,
                 lambda: source_exists(dsname)),
            ]
            for method, path, body, needed, state in routes:
                before = state()
                status, r = s.request(method, path, body, token=tok)
                after = state()
                if level >= needed:
                    self.assertIn(status, (200, 201), (role, method, path, r))
                    self.assertNotEqual(before, after, (role, method, path))
                else:
                    self.assertEqual(status, 403, (role, method, path, r))
                    self.assertEqual(r["error"]["code"], "forbidden")
                    self.assertEqual(before, after, (role, method, path))
            # Every role may read.
            self.assertEqual(s.request("GET", "/v1/policies", token=tok)[0], 200)
        # Mutating calls are in the ledger, with the token's name.
        entries = s.all_pages("/v1/audit", "entries")
        seen = {(e["actor"], e["action"], e["outcome"]) for e in entries}
        self.assertIn(("viewer", "events.ingest", "denied"), seen)
        self.assertIn(("ingest", "events.ingest", "ok"), seen)
        self.assertIn(("ingest", "policy.apply", "denied"), seen)
        self.assertIn(("admin2", "policy.delete", "ok"), seen)
        self.assertIn(("admin2", "source.apply", "ok"), seen)

    def test_metrics_health_readiness(self):
        s = self.server
        status, text = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        for name in ("retro_ingest_events_total", "retro_ingest_bytes_total",
                     "retro_ingest_rejected_total", "retro_live_lag_seconds",
                     "retro_live_queue_depth", "retro_live_outcomes_total"):
            self.assertIn(name, text)
        self.assertEqual(s.request("GET", "/healthz")[0], 200)
        status, r = s.request("GET", "/readyz")
        self.assertEqual((status, r["ready"]), (200, True))


if __name__ == "__main__":
    RETRO, SHARED = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
