"""Crash test: events are ingested in a loop while `retro serve` is killed
with SIGKILL at random moments. After each restart every acknowledged event
is stored exactly once and, once live processing caught up, has exactly one
record (the live cursor resumed where it stopped: nothing skipped).

Usage: server_crash_test.py RETRO_BINARY SHARED_DIR [CYCLES]
"""
import collections
import json
import os
import random
import sys
import threading
import time

from harness import Server


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


def event(i):
    return json.dumps({
        "id": f"crash-{i}", "createdAt": "2026-11-20T10:00:00Z",
        "orgId": f"org_{i % 7}", "methodName": "chat.completions",
        "providerName": "openai",
        "data": {"modelName": "gpt-4o", "inputTokens": i % 1000,
                 "outputTokens": 1, "latencyMs": 5}})


def main():
    retro, shared = sys.argv[1], sys.argv[2]
    cycles = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rng = random.Random(int(os.environ.get("RETRO_CRASH_SEED", "7")))
    server = Server(retro).start()
    fixtures = os.path.join(shared, "fixtures", "policies")
    with open(os.path.join(fixtures, "sources.yaml")) as f:
        usage_source = [d for d in split_docs(f.read()) if "name: usage}" in d][0]
    with open(os.path.join(fixtures, "usage-billing.policy.yaml")) as f:
        policy = split_docs(f.read())[0]
    assert server.json("PUT", "/v1/sources/usage", usage_source)[0] in (200, 201)
    assert server.json("PUT", "/v1/policies/usage-billing", policy)[0] in (200, 201)

    acked = set()
    next_id = [0]

    def ingest(stop):
        while not stop.is_set():
            batch = list(range(next_id[0], next_id[0] + 100))
            next_id[0] += 100
            body = "\n".join(event(i) for i in batch) + "\n"
            try:
                status, r = server.json("POST", "/v1/events?type=usage", body)
            except OSError:
                return
            if status == 200:
                assert r["accepted"] + r["duplicates"] == len(batch), r
                acked.update(f"crash-{i}" for i in batch)
            elif status not in (429, 503):
                raise AssertionError(r)

    def verify(cycle):
        deadline = time.time() + 20
        while True:
            events = server.all_pages("/v1/events?type=usage", "events")
            ids = collections.Counter(e["id"] for e in events)
            missing = acked - set(ids)
            dup = [i for i, n in ids.items() if n != 1]
            assert not missing, f"cycle {cycle}: acknowledged events lost: {sorted(missing)[:5]}"
            assert not dup, f"cycle {cycle}: events stored twice: {dup[:5]}"
            recs = server.all_pages("/v1/records?policy=usage-billing", "records")
            rids = collections.Counter(r["origin_id"] for r in recs)
            assert all(n == 1 for n in rids.values())
            if set(rids) == set(ids):
                return len(ids)
            if time.time() > deadline:
                lost = sorted(set(ids) - set(rids))
                raise AssertionError(
                    f"cycle {cycle}: events without records: {lost[:5]} ({len(lost)})")
            time.sleep(0.05)

    start = time.time()
    for cycle in range(cycles):
        stop = threading.Event()
        t = threading.Thread(target=ingest, args=(stop,))
        t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        server.kill9()
        stop.set()
        t.join()
        server.start()
        n = verify(cycle)
        print(f"cycle {cycle + 1}/{cycles}: {len(acked)} acknowledged, "
              f"{n} stored, all with records", flush=True)
    server.cleanup()
    print(f"ok: {cycles} kill -9 cycles in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
