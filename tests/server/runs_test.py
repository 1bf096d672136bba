"""End-to-end tests of re-processing runs against a real `retro serve`: two
generations of a policy over a few thousand generated events; dry run,
shadow, promote, rollback and purge checked record by record against what
the server's preview says each generation produces; the handoff of events
ingested while a shadow run is open; retry of errored events; refusals;
roles and the ledger; pause/resume/cancel/rethrottle; the CLI.

Usage: runs_test.py RETRO_BINARY SHARED_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Server
from runs_util import (FIXED, FLAKY, GEN1, GEN2, SOURCE, apply, events,
                       expected_diff, ingest, matched, ndjson, policy,
                       preview, run_transitions, visible, wait_run,
                       wait_visible)

RETRO = SHARED = None
N_EVENTS = 3000


def cli_preview(text, name, evs):
    """{event id: outcome} of `retro policy preview` (no server)."""
    with tempfile.TemporaryDirectory() as d:
        files = {"p.yaml": policy(text, name), "s.yaml": SOURCE,
                 "e.jsonl": ndjson(evs)}
        for f, content in files.items():
            with open(os.path.join(d, f), "w") as out:
                out.write(content)
        out = subprocess.run(
            [RETRO, "policy", "preview", os.path.join(d, "p.yaml"), "--type",
             "rt", "--input", os.path.join(d, "e.jsonl"), "--source",
             os.path.join(d, "s.yaml"), "-o", "json"],
            capture_output=True, text=True, check=True).stdout
    return {o["id"]: o for o in map(json.loads, out.splitlines())}


def promoted_generations(id_, old, new, old_generation, new_generation):
    """The generations a record may carry after a promote: the target's,
    or, when the target left it unchanged (same content), the one that
    wrote the version that stays visible."""
    if id_ not in new:
        return {old_generation}
    if id_ in old and (old[id_]["record"]["content_hash"] ==
                       new[id_]["record"]["content_hash"]):
        return {old_generation, new_generation}
    return {new_generation}


def all_events(s):
    """Every event of type rt the server holds (the tests add some)."""
    return [e["data"] for e in s.all_pages("/v1/events?type=rt", "events")]


class RunsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tokens = {r: f"{r}-token-0123456789abcdef" for r in
                      ("viewer", "operator", "admin2")}
        cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cfg.write("tokens:\n" + "".join(
            f"  - {{name: {r}, role: {r.rstrip('2')}, token: {t}}}\n"
            for r, t in cls.tokens.items()))
        cfg.close()
        cls.cfg = cfg.name
        cls.server = s = Server(RETRO, extra=["--config", cfg.name]).start()
        status, body = s.json("PUT", "/v1/sources/rt", SOURCE)
        assert status in (200, 201), body
        # One policy per test, so the tests do not wait on each other's runs.
        cls.names = ["acts", "flaky", "guarded", "refuse", "control", "cli"]
        for name in cls.names:
            apply(s, GEN1, name)
        cls.events = events(N_EVENTS, seed=5, prefix="e")
        cls.tenant = {e["id"]: e["tenant"] for e in cls.events}
        ingest(s, cls.events)
        cls.gen1 = preview(s, "acts", 1, cls.events)
        for name in cls.names:
            wait_visible(s, name, len(matched(cls.gen1)))

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        os.unlink(cls.cfg)

    def start(self, body, token=None, expect=202):
        status, run = self.server.json("POST", "/v1/runs", json.dumps(body),
                                       token=token)
        self.assertEqual(status, expect, run)
        return run

    def act(self, rid, action, body=None, token=None, expect=200):
        status, run = self.server.json(
            "POST", f"/v1/runs/{rid}/{action}",
            json.dumps(body) if body is not None else "", token=token)
        self.assertEqual(status, expect, (action, run))
        return run

    def check_diff(self, run, diff, old, new, name, purge=False):
        total, transitions, tenants, category = expected_diff(
            old, new, purge=purge, tenant_of=self.tenant.get)
        self.assertEqual(run["counters"], total)
        self.assertEqual(run["progress"]["total"], total["processed"])
        self.assertEqual(run["progress"]["percent"], 100.0)
        self.assertEqual(diff["counters"], total)
        self.assertTrue(diff["final"])
        self.assertEqual(run_transitions(diff, name), transitions)
        self.assertEqual({t["tenant"]: t["counters"] for t in diff["tenants"]},
                         tenants)
        self.assertTrue(diff["samples"])
        for smp in diff["samples"]:
            id_ = smp["origin"]["id"]
            cat = smp["category"]
            self.assertIn("errors" if cat == "error" else cat, category[id_],
                          smp)
            if smp["old"] is not None:
                self.assertEqual(smp["old"]["summary"],
                                 old[id_]["record"]["summary"])
            if smp["new"] is not None:
                self.assertEqual(smp["new"]["summary"],
                                 new[id_]["record"]["summary"])
                self.assertEqual(smp["new"]["rule"], new[id_]["rule"])

    def assert_visible_equal(self, name, expected, generations):
        """Every visible record equals the preview's, none more, none less,
        and comes from one of the generations `generations(id)` allows."""
        got = visible(self.server, name)
        self.assertEqual(set(got), set(expected))
        for id_, o in expected.items():
            self.assertEqual(got[id_]["record"], o["record"], id_)
            self.assertEqual(got[id_]["rule"], o["rule"], id_)
            self.assertIn(got[id_]["generation"], generations(id_), id_)

    def test_dry_run_shadow_handoff_promote_rollback_purge(self):
        s = self.server
        self.assertEqual(apply(s, GEN2, "acts", activate=False), 2)
        gen1_all, gen2_all = self.gen1, preview(s, "acts", 2, self.events)
        # The server's preview is `retro policy preview`'s.
        self.assertEqual(cli_preview(GEN2, "acts", self.events), gen2_all)
        before = visible(s, "acts")
        self.assert_visible_equal("acts", matched(gen1_all), lambda _: {1})

        # Dry run: the diff of generation 2 against the visible records,
        # and nothing written.
        run = self.start({"policies": ["acts"], "from": "-2d",
                          "mode": "dry_run", "reason": "preview gen 2"})
        self.assertEqual(run["mode"], "dry_run")
        self.assertEqual(run["policies"], [{"name": "acts",
                                            "from_generation": 1,
                                            "target_generation": 2}])
        run = wait_run(s, run["id"])
        self.assertEqual(run["state"], "succeeded", run)
        _, diff = s.json("GET", f"/v1/runs/{run['id']}/diff?samples=5")
        self.check_diff(run, diff, matched(gen1_all), gen2_all, "acts")
        self.assertEqual(visible(s, "acts"), before)
        dry_counters = run["counters"]

        # Shadow run, throttled so that events arrive while it scans.
        run = self.start({"policies": ["acts"], "from": "-2d",
                          "mode": "shadow", "max_rate": 3000})
        rid = run["id"]
        late1 = events(300, seed=6, prefix="late", newest_s_ago=1,
                       span_s=60)
        ingest(s, late1)
        run = wait_run(s, rid)
        self.assertEqual(run["state"], "succeeded", run)
        late2 = events(200, seed=7, prefix="later", newest_s_ago=1,
                       span_s=60)
        ingest(s, late2)
        late = late1 + late2
        late_gen1 = preview(s, "acts", 1, late)
        late_gen2 = preview(s, "acts", 2, late)
        # Live processing keeps writing generation 1, visibly.
        wait_visible(s, "acts", len(before) + len(matched(late_gen1)))
        self.assertEqual(run["counters"], dry_counters)
        now = visible(s, "acts")
        self.assertEqual({i: now[i] for i in before}, before)
        # The handoff: live events after the cutoff, evaluated with gen 2.
        deadline = time.time() + 10
        while run["handoff"]["processed"] < len(late) and time.time() < deadline:
            time.sleep(0.05)
            run = s.json("GET", f"/v1/runs/{rid}")[1]
        self.assertEqual(run["handoff"]["processed"], len(late), run)
        self.assertEqual(run["handoff"]["matched"],
                         len(matched(late_gen2)), run)

        # Promote: every record is generation 2's, the late ones included,
        # none lost, none twice.
        run = self.act(rid, "promote")
        self.assertEqual(run["state"], "promoted")
        self.assertIsNotNone(run["promoted_at"])
        all_gen1 = matched(dict(gen1_all, **late_gen1))
        all_gen2 = matched(dict(gen2_all, **late_gen2))
        self.assert_visible_equal(
            "acts", {**all_gen1, **all_gen2},
            lambda i: promoted_generations(i, all_gen1, all_gen2, 1, 2))
        status, info = s.json("GET", "/v1/policies/acts")
        self.assertEqual(info["active_generation"], 2)
        # Live processing now writes generation 2.
        after = events(50, seed=8, prefix="after", newest_s_ago=1, span_s=30)
        ingest(s, after)
        after_gen2 = preview(s, "acts", 2, after)
        deadline = time.time() + 10
        while time.time() < deadline:
            got = visible(s, "acts")
            if all(i in got for i in matched(after_gen2)):
                break
            time.sleep(0.05)
        for i, o in matched(after_gen2).items():
            self.assertEqual(got[i]["record"], o["record"])
            self.assertEqual(got[i]["generation"], 2)

        # Rollback: what was visible before the promote, generation 1.
        run = self.act(rid, "rollback")
        self.assertEqual(run["state"], "rolled_back")
        got = visible(s, "acts")
        for i, o in {**matched(gen1_all), **matched(late_gen1)}.items():
            self.assertEqual(got[i]["record"], o["record"], i)
            self.assertEqual(got[i]["generation"], 1, i)
        status, info = s.json("GET", "/v1/policies/acts")
        self.assertEqual(info["active_generation"], 1)

        # Purge: records of events that no longer match are removed.
        everything = self.events + late + after
        gen2_now = preview(s, "acts", 2, everything)
        old = visible(s, "acts")  # {id: record with rule and record}
        total, _, _, _ = expected_diff(old, gen2_now, purge=True,
                                       tenant_of=lambda i: "")
        run = self.start({"policies": ["acts"], "from": "-2d",
                          "purge_unmatched": True})
        run = wait_run(s, run["id"])
        self.assertEqual(run["state"], "succeeded", run)
        removed = [i for i in old if gen2_now[i]["outcome"] != "matched"]
        self.assertTrue(removed)
        self.assertEqual(run["counters"]["removed"], len(removed))
        self.assertEqual(run["counters"], total)
        run = self.act(run["id"], "promote")
        self.assertEqual(run["state"], "promoted")
        self.assert_visible_equal(
            "acts", matched(gen2_now),
            lambda i: promoted_generations(i, old, matched(gen2_now),
                                           old[i]["generation"] if i in old
                                           else None, 2))

    def test_retry_errors_of_reruns_only_the_errored_events(self):
        s = self.server
        self.assertEqual(apply(s, FLAKY, "flaky", activate=False), 2)
        evs = all_events(s)
        flaky = preview(s, "flaky", 2, evs)
        errored = sorted(i for i, o in flaky.items() if o["outcome"] == "error")
        self.assertTrue(errored)
        self.assertIn("nope", flaky[errored[0]]["reason"])
        # A dry run of the erroring generation records its errors.
        run = self.start({"policies": ["flaky"], "from": "-2d",
                          "mode": "dry_run"})
        bad = wait_run(s, run["id"])
        self.assertEqual(bad["counters"]["errors"], len(errored))
        self.assertFalse(bad["ready_to_promote"])
        status, report = s.json("GET", f"/v1/runs/{bad['id']}/errors?limit=10000")
        self.assertEqual(status, 200, report)
        self.assertEqual(sum(r["count"] for r in report["error_reasons"]),
                         len(errored))
        self.assertEqual(sorted(e["id"] for e in report["errors"]), errored)
        # The error rate is an insight, and /metrics says so too.
        status, ins = s.json("GET", "/v1/insights")
        self.assertIn(("error_rate", "warning", bad["id"]),
                      [(i["kind"], i["severity"], i["run"])
                       for i in ins["insights"]])
        n_error_rate = sum(i["kind"] == "error_rate" for i in ins["insights"])
        status, text = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        metrics = dict(line.rsplit(" ", 1) for line in text.splitlines()
                       if line and not line.startswith("#"))
        self.assertEqual(
            float(metrics['retro_insights{kind="error_rate",'
                          'severity="warning"}']), n_error_rate)
        self.assertGreaterEqual(
            float(metrics['retro_runs{state="succeeded"}']), 1)
        self.assertEqual(float(metrics['retro_runs{state="running"}']), 0)
        # The fix, re-run over the errored events only.
        self.assertEqual(apply(s, FIXED, "flaky", activate=False), 3)
        fixed = preview(s, "flaky", 3, evs)
        run = self.start({"policies": ["flaky"], "from": "-2d",
                          "retry_errors_of": bad["id"]})
        run = wait_run(s, run["id"])
        self.assertEqual(run["state"], "succeeded", run)
        self.assertEqual(run["counters"]["processed"], len(errored))
        self.assertEqual(run["counters"]["errors"], 0)
        self.assertEqual(run["counters"]["matched"],
                         sum(fixed[i]["outcome"] == "matched" for i in errored))
        self.act(run["id"], "promote")
        got = visible(s, "flaky")
        gen1 = matched(preview(s, "flaky", 1, evs))
        for i in errored:
            if fixed[i]["outcome"] == "matched":
                self.assertEqual(got[i]["record"], fixed[i]["record"])
                self.assertEqual(got[i]["generation"], 3)
            elif i in gen1:  # no longer matches; not purged
                self.assertEqual(got[i]["record"], gen1[i]["record"])
            else:
                self.assertNotIn(i, got)
        for i, o in gen1.items():  # not retried: generation 1 as it was
            if i not in errored:
                self.assertEqual(got[i]["record"], o["record"])
                self.assertEqual(got[i]["generation"], 1)

    def test_refusals_are_clear_and_write_nothing(self):
        s = self.server
        apply(s, GEN2, "refuse", activate=False)
        status, r = s.json("POST", "/v1/runs",
                           json.dumps({"policies": ["nope"]}))
        self.assertEqual(status, 404, r)
        self.assertIn("nope", r["error"]["message"])
        status, r = s.json("POST", "/v1/runs", json.dumps(
            {"policies": ["refuse"], "from": "-1h", "to": "-2h"}))
        self.assertEqual(status, 400, r)
        self.assertIn("before 'to'", r["error"]["message"])
        status, r = s.json("POST", "/v1/runs", json.dumps(
            {"policies": ["refuse"], "from": "-400d"}))
        self.assertEqual(status, 400, r)
        self.assertRegex(r["error"]["message"], r"\d{4}-\d{2}-\d{2}")
        status, r = s.json("POST", "/v1/runs", "{not json")
        self.assertEqual(status, 400, r)
        self.assertIn("not valid JSON", r["error"]["message"])
        status, r = s.json("POST", "/v1/runs", json.dumps(
            {"policies": ["refuse"], "mode": "wet"}))
        self.assertEqual(status, 400, r)
        self.assertIn("dry_run, shadow or direct", r["error"]["message"])
        status, r = s.json("POST", "/v1/runs", json.dumps(
            {"policies": ["refuse"], "max_rte": 5}))
        self.assertEqual(status, 400, r)
        self.assertIn("unknown field 'max_rte'", r["error"]["message"])
        status, r = s.json("POST", "/v1/runs", json.dumps(
            {"policies": ["refuse"], "retry_errors_of": "r-nope"}))
        self.assertEqual(status, 404, r)
        status, r = s.json("GET", "/v1/runs/r-nope")
        self.assertEqual(status, 404, r)
        status, r = s.json("GET", "/v1/runs?state=sleeping")
        self.assertEqual(status, 400, r)
        # Nothing of the above was created.
        status, r = s.json("GET", "/v1/runs?policy=refuse")
        self.assertEqual((status, r["runs"]), (200, []))
        # A second open run of the policy: 409 naming the first.
        first = self.start({"policies": ["refuse"], "from": "-2d",
                            "max_rate": 500})
        status, r = s.json("POST", "/v1/runs",
                           json.dumps({"policies": ["refuse"]}))
        self.assertEqual(status, 409, r)
        self.assertIn(first["id"], r["error"]["message"])
        # Wrong states: 409 with the state.
        status, r = s.json("POST", f"/v1/runs/{first['id']}/rollback", "")
        self.assertEqual(status, 409, r)
        self.act(first["id"], "cancel")
        self.act(first["id"], "discard")
        status, r = s.json("POST", f"/v1/runs/{first['id']}/promote", "")
        self.assertEqual(status, 409, r)
        self.assertEqual(r["error"]["details"]["state"], "discarded")
        status, r = s.json("POST", f"/v1/runs/{first['id']}/rethrottle",
                           json.dumps({"speed": 1}))
        self.assertEqual(status, 400, r)
        self.assertIn("unknown field 'speed'", r["error"]["message"])

    def test_roles_gates_and_the_ledger(self):
        s = self.server
        t = self.tokens
        apply(s, FLAKY, "guarded", activate=False)
        body = {"policies": ["guarded"], "from": "-2d"}
        r = self.start(body, token=t["viewer"], expect=403)
        self.assertIn("operator", r["error"]["message"])
        run = self.start(body, token=t["operator"])
        run = wait_run(s, run["id"])
        self.assertEqual(run["state"], "succeeded", run)
        self.assertFalse(run["ready_to_promote"])
        self.assertTrue(any("error" in b for b in run["blocking_reasons"]),
                        run["blocking_reasons"])
        status, r = s.json("POST", f"/v1/runs/{run['id']}/promote", "{}",
                           token=t["operator"])
        self.assertEqual(status, 409, r)
        self.assertEqual(r["error"]["details"]["blocking_reasons"],
                         run["blocking_reasons"])
        self.act(run["id"], "promote", {"force": True}, token=t["operator"],
                 expect=403)
        self.act(run["id"], "pause", token=t["viewer"], expect=403)
        run = self.act(run["id"], "promote", {"force": True},
                       token=t["admin2"])
        self.assertEqual(run["state"], "promoted")
        self.assertTrue(run["forced"])
        target = f"run/{run['id']}"
        entries = s.all_pages("/v1/audit", "entries")
        seen = {(e["actor"], e["action"], e["outcome"]) for e in entries
                if e["target"] in (target, "run/")}
        for want in [("viewer", "run.start", "denied"),
                     ("operator", "run.start", "ok"),
                     ("operator", "run.promote", "refused"),
                     ("operator", "run.promote", "denied"),
                     ("viewer", "run.pause", "denied"),
                     ("admin2", "run.promote", "ok")]:
            self.assertIn(want, seen)
        status, r = s.json("GET", "/v1/runs", token=t["viewer"])
        self.assertEqual(status, 200)
        status, r = s.json("GET", "/v1/insights", token=t["viewer"])
        self.assertEqual(status, 200, r)
        self.assertIsInstance(r["insights"], list)

    def test_pause_resume_rethrottle_cancel(self):
        s = self.server
        apply(s, GEN2, "control", activate=False)
        run = self.start({"policies": ["control"], "from": "-2d",
                          "max_rate": 400})
        rid = run["id"]
        time.sleep(0.5)
        run = self.act(rid, "pause")
        self.assertEqual(run["state"], "paused")
        time.sleep(0.3)
        p1 = s.json("GET", f"/v1/runs/{rid}")[1]["counters"]["processed"]
        time.sleep(0.7)
        p2 = s.json("GET", f"/v1/runs/{rid}")[1]["counters"]["processed"]
        self.assertEqual(p1, p2)
        self.assertLess(p2, N_EVENTS)
        # An open run's progress is a metric, labelled with its state.
        status, text = s.request("GET", "/metrics")
        line = [l for l in text.splitlines()
                if l.startswith("retro_run_progress_ratio{") and rid in l]
        self.assertEqual(len(line), 1, line)
        self.assertIn('state="paused"', line[0])
        self.assertIn('policy="control"', line[0])
        progress = float(line[0].rsplit(" ", 1)[1])
        self.assertGreater(progress, 0)
        self.assertLess(progress, 1)
        run = self.act(rid, "resume")
        self.assertIn(run["state"], ("queued", "running"))
        run = self.act(rid, "rethrottle", {"max_rate": 0})
        time.sleep(1.2)
        p1 = s.json("GET", f"/v1/runs/{rid}")[1]["counters"]["processed"]
        time.sleep(0.7)
        p2 = s.json("GET", f"/v1/runs/{rid}")[1]["counters"]["processed"]
        self.assertEqual(p1, p2, "max_rate 0 pauses")
        run = self.act(rid, "rethrottle", {"max_rate": 1000000,
                                           "throttle": "fixed"})
        self.assertEqual(run["throttle"]["max_rate"], 1000000)
        if run["state"] == "paused":
            self.act(rid, "resume")
        run = wait_run(s, rid)
        self.assertEqual(run["state"], "succeeded", run)
        self.assertEqual(run["progress"]["percent"], 100.0)
        status, text = s.request("GET", "/metrics")
        self.assertNotIn(rid, text, "a finished run is no longer open")
        self.act(rid, "discard")
        # Cancel, then resume from the cursors, then cancel for good.
        run = self.start({"policies": ["control"], "from": "-2d",
                          "max_rate": 300})
        rid = run["id"]
        time.sleep(0.3)
        run = self.act(rid, "cancel")
        self.assertEqual(run["state"], "cancelled")
        run = self.act(rid, "resume")
        self.assertIn(run["state"], ("queued", "running"))
        run = self.act(rid, "cancel")
        self.act(rid, "discard")
        entries = s.all_pages("/v1/audit", "entries")
        actions = {e["action"] for e in entries if e["target"] == f"run/{rid}"}
        self.assertTrue({"run.start", "run.cancel", "run.resume",
                         "run.discard"} <= actions, actions)
        self.assertIn("run.rethrottle",
                      {e["action"] for e in entries if e["outcome"] == "ok"})

    def test_cli_start_watch_diff(self):
        s = self.server
        apply(s, GEN2, "cli", activate=False)
        env = dict(os.environ, RETRO_SERVER=s.url, RETRO_TOKEN=s.admin)

        def cli(*args, check=True):
            p = subprocess.run([RETRO, "run", *args], env=env,
                               capture_output=True, text=True, timeout=60)
            if check:
                self.assertEqual(p.returncode, 0, (args, p.stdout, p.stderr))
            return p

        run = json.loads(cli("start", "cli", "--from", "-2d", "--mode",
                             "dry_run", "-o", "json").stdout)
        self.assertEqual(run["mode"], "dry_run")
        p = cli("watch", run["id"], "--interval", "0.1")
        self.assertIn("succeeded", p.stdout)
        self.assertIn(f"processed {N_EVENTS}", p.stdout)
        api_run = s.json("GET", f"/v1/runs/{run['id']}")[1]
        cli_run = json.loads(cli("get", run["id"], "-o", "json").stdout)
        for key in ("id", "state", "counters", "policies", "from"):
            self.assertEqual(cli_run[key], api_run[key])
        p = cli("diff", run["id"])
        self.assertIn("Transitions of cli", p.stdout)
        self.assertRegex(p.stdout, r"change\s")
        self.assertIn("- old [create g1]", p.stdout)
        self.assertIn("+ new [create g2]", p.stdout)
        diff = json.loads(cli("diff", run["id"], "-o", "json").stdout)
        self.assertEqual(diff, s.json("GET", f"/v1/runs/{run['id']}/diff")[1])
        p = cli("list", "--policy", "cli")
        self.assertIn(run["id"], p.stdout)
        # A blocked gate: a shadow run with max_changed_ratio 0 succeeds but
        # may not be promoted; watch says so with exit code 5.
        p = cli("start", "cli", "--from", "-2d", "--max-changed-ratio", "0",
                "--watch", "--interval", "0.1", check=False)
        self.assertEqual(p.returncode, 5, (p.stdout, p.stderr))
        rid = re.search(r"run (r-\S+)", p.stdout).group(1)
        p = cli("promote", rid, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("blocked by:", p.stderr)
        cli("discard", rid)
        p = cli("get", "r-nope", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("404", p.stderr)


if __name__ == "__main__":
    RETRO, SHARED = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
