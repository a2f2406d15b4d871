"""Helpers for the test-suite and benchmarks: fresh real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from hotline.core.db import make_engine

PG_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")


def fresh_database_url(tmp_dir: Path, name: str = "test") -> str:
    """A new, empty database: a SQLite file, or a freshly created PostgreSQL database."""
    if not PG_URL:
        return f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    dbname = f"hotline_{name}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + dbname


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real `hotline serve` process on a loopback port, for browser and crash tests."""

    def __init__(self, database_url: str, *, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HOTLINE_DATABASE_URL": database_url, "HOTLINE_PORT": str(self.port),
                    "HOTLINE_LOGIN_RATE_PER_MINUTE": "1000", **(env or {})}
        self.proc: "subprocess.Popen[bytes] | None" = None

    def run_cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "hotline", *args], env=self.env, check=True,
                             capture_output=True, timeout=300)
        return out.stdout.decode()

    def start(self, timeout: float = 60) -> "LiveServer":
        import tempfile
        import time
        import urllib.request

        # the server's log goes to a file: an unread pipe fills up and blocks the server
        self.log = tempfile.NamedTemporaryFile(prefix="hotline-live-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(self.port)],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(self.log.name, encoding="utf-8", errors="replace") as fh:
                    raise RuntimeError("server exited: " + fh.read()[-4000:])
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def launch_chromium(playwright):  # type: ignore[no-untyped-def]
    """Debian's chromium, headless, with the flags this closed network needs."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium"),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-quic"])


DEMO_PASSWORD = "hotline-demo-2026"


def browser_login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign a Playwright page in through the login form and wait for the home page."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
