"""Starts and stops a real `retro serve` process and talks HTTP to it."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, retro, data=None, extra=(), port=None):
        self.retro = retro
        self.data = data or tempfile.mkdtemp(prefix="retro-server-test-")
        self.port = port or free_port()
        self.extra = list(extra)
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready=True):
        self.log = open(os.path.join(self.data, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [self.retro, "serve", "--data", self.data, "--listen",
             f"127.0.0.1:{self.port}", "--log-level", "warn"] + self.extra,
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"retro serve exited: {self.proc.returncode}")
            try:
                status, _ = self.request("GET", "/readyz" if wait_ready else "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.02)
        else:
            raise RuntimeError("retro serve did not become ready")
        with open(os.path.join(self.data, "admin.token")) as f:
            self.admin = f.read().strip()
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def request(self, method, path, body=None, token=None, ctype=None,
                timeout=30):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", ctype or "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, _decode(raw, r.headers)
        except urllib.error.HTTPError as e:
            return e.code, _decode(e.read(), e.headers)

    def json(self, method, path, body=None, token=None):
        return self.request(method, path, body, token or self.admin)

    def all_pages(self, path, key, token=None):
        out, cursor = [], ""
        while True:
            sep = "&" if "?" in path else "?"
            status, body = self.json(
                "GET", f"{path}{sep}limit=10000&cursor={cursor}", token=token)
            assert status == 200, body
            out += body[key]
            cursor = body["next_cursor"]
            if not cursor:
                return out


def _decode(raw, headers):
    ctype = headers.get("Content-Type", "")
    text = raw.decode()
    if ctype.startswith("application/json"):
        return json.loads(text)
    return text
