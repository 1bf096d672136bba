"""Crash test of re-processing runs: `kill -9` of `retro serve` at random
moments while a throttled shadow run goes over tens of thousands of events;
after each restart the run resumes; once it has finished, its counters, its
diff and (after promote) the visible records must be identical to those of
an uninterrupted run over a copy of the same data (same events, same
generations). Compared as digests.

Usage: runs_crash_test.py RETRO_BINARY SHARED_DIR [CYCLES] [EVENTS]
"""
import json
import random
import shutil
import sys
import tempfile
import time

from harness import Server
from runs_util import (GEN1, GEN2, SOURCE, apply, digest, events, ingest,
                       matched, preview, visible, wait_run, wait_visible)

GOING = ("queued", "running", "paused")


def outcome(s, rid):
    """The parts of a finished run that must not depend on crashes."""
    run = wait_run(s, rid, timeout=60)
    assert run["state"] == "succeeded", run
    status, diff = s.json("GET", f"/v1/runs/{rid}/diff?samples=100")
    assert status == 200, diff
    status, errors = s.json("GET", f"/v1/runs/{rid}/errors?limit=10000")
    assert status == 200, errors
    diff.pop("run")
    errors.pop("run")
    status, promoted = s.json("POST", f"/v1/runs/{rid}/promote", "")
    assert status == 200, promoted
    records = sorted(
        (r["origin_type"], r["origin_id"], r["rule"], r["generation"],
         json.dumps(r["record"], sort_keys=True))
        for r in visible(s, "acts").values())
    return {
        "counters": digest([run["counters"], run["progress"]["total"],
                            run["ready_to_promote"], run["blocking_reasons"]]),
        "diff": digest(diff),
        "errors": digest(errors),
        "records": digest(records),
    }, run, len(records)


def main():
    retro = sys.argv[1]
    cycles = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 30000
    rate = 3000  # events/s while killing: the run outlasts the cycles
    t0 = time.time()
    rnd = random.Random()
    seed = rnd.randrange(1 << 30)
    print(f"seed {seed}, {cycles} cycles, {n} events", flush=True)
    rnd.seed(seed)

    base = Server(retro).start()
    try:
        status, body = base.json("PUT", "/v1/sources/rt", SOURCE)
        assert status in (200, 201), body
        apply(base, GEN1, "acts")
        evs = events(n, seed=seed, prefix="c")
        ingest(base, evs)
        gen1 = preview(base, "acts", 1, evs[:2000])
        wait_visible(base, "acts",
                     sum(o["outcome"] == "matched" for o in
                         preview(base, "acts", 1, evs).values()), timeout=60)
        assert apply(base, GEN2, "acts", activate=False) == 2
        assert matched(gen1)
    finally:
        base.stop()
    copy = tempfile.mkdtemp(prefix="retro-crash-ref-")
    shutil.rmtree(copy)
    shutil.copytree(base.data, copy)
    print(f"setup {time.time() - t0:.1f}s", flush=True)

    request = {"policies": ["acts"], "from": "-3d", "parallelism": 2,
               "reason": "crash test"}
    ref = Server(retro, data=copy).start()
    try:
        status, run = ref.json("POST", "/v1/runs", json.dumps(request))
        assert status == 202, run
        t1 = time.time()
        expected, ref_run, ref_records = outcome(ref, run["id"])
        print(f"reference run: {time.time() - t1:.1f}s, "
              f"{ref_run['counters']}, {ref_records} records", flush=True)
    finally:
        ref.cleanup()

    s = Server(retro, data=base.data, port=base.port).start()
    try:
        status, run = s.json("POST", "/v1/runs",
                             json.dumps(dict(request, max_rate=rate)))
        assert status == 202, run
        rid = run["id"]
        kills, progress = 0, []
        t2 = time.time()
        while kills < cycles:
            time.sleep(rnd.uniform(0, 0.5))
            s.kill9()
            kills += 1
            s.start()
            status, run = s.json("GET", f"/v1/runs/{rid}")
            assert status == 200, run
            progress.append(run["counters"]["processed"])
            assert run["state"] in GOING, (
                f"after {kills} kills the run is {run['state']}: lower the "
                f"rate or add events so the run outlasts the cycles")
        print(f"{kills} kill -9 cycles in {time.time() - t2:.1f}s; processed "
              f"after each restart: {progress}", flush=True)
        status, run = s.json("POST", f"/v1/runs/{rid}/rethrottle",
                             json.dumps({"max_rate": 100000000}))
        assert status == 200, run
        got, crash_run, records = outcome(s, rid)
    finally:
        s.cleanup()

    print(f"expected {expected}\ngot      {got}", flush=True)
    bad = [k for k in expected if expected[k] != got[k]]
    if bad:
        print(f"FAIL: {bad} differ after crashes\nreference counters "
              f"{ref_run['counters']}\ncrashed counters   "
              f"{crash_run['counters']}", flush=True)
        sys.exit(1)
    assert crash_run["counters"]["processed"] == crash_run["progress"]["total"]
    print(f"OK in {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
