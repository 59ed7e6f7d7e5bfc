"""A reusable local Prefect server, so a local `policyflow extract` does not pay for a temporary one.

Without PREFECT_API_URL, Prefect starts a temporary API server for every process that runs a flow
(a Python interpreter, the server's imports and database migrations: most of a small run's wall
time). The CLI instead keeps one server per PREFECT_HOME running in the background, like a build
daemon: the first run starts it, later runs find it (`PREFECT_HOME/policyflow-server.json`) and
use it as their PREFECT_API_URL. It serves the same application Prefect's temporary server runs
(no UI, no background services), on 127.0.0.1 only, with its state in PREFECT_HOME's database, and
stops itself after `idle` seconds without a request or an open connection.

`python -m policyflow.flows.local_server --port P --idle S` is the server process itself.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

STATE = "policyflow-server.json"
LOCAL_API = "POLICYFLOW_LOCAL_API"  # set to the URL the CLI took from `ensure`: runs against it are local
LOG = "policyflow-server.log"
IDLE_SECONDS = 900.0
START_TIMEOUT = 120.0
MODES = ("reuse", "temporary")
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def mode() -> str:
    """`reuse` (default) or `temporary` (Prefect's own per-process server), from POLICYFLOW_PREFECT_SERVER."""
    value = os.environ.get("POLICYFLOW_PREFECT_SERVER", "reuse").strip().lower()
    if value not in MODES:
        from policyflow.schemas.errors import ConfigError

        raise ConfigError("E026", value=value, choices=", ".join(MODES))
    return value


def _healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as resp:
            return resp.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a server this process started and that exited is reaped, not taken for alive)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(home: Path) -> dict | None:
    """The running server of `home` ({pid, port, url, started, …}), or None."""
    try:
        info = json.loads((home / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", 0) or 0)) or not _healthy(info.get("url", "")):
        return None
    return info


@contextlib.contextmanager
def _locked(home: Path):
    with open(home / "policyflow-server.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure(home: Path, *, idle: float | None = None, timeout: float = START_TIMEOUT) -> str:
    """The API URL of `home`'s server, started (detached, in its own session) when none answers.

    Concurrent callers serialize on a lock file, so one server runs per PREFECT_HOME.
    """
    from policyflow.flows.watchdog import OWNER

    home.mkdir(parents=True, exist_ok=True)
    with _locked(home):
        info = status(home)
        if info:
            return info["url"]
        idle = idle if idle is not None else float(os.environ.get("POLICYFLOW_SERVER_IDLE", IDLE_SECONDS))
        port = _free_port()
        url = f"http://127.0.0.1:{port}/api"
        env = {k: v for k, v in os.environ.items() if k not in (OWNER, "PREFECT_API_URL")}
        env.update(SERVER_ENV, PREFECT_HOME=str(home))
        with open(home / LOG, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "policyflow.flows.local_server", "--port", str(port),
                                     "--idle", str(idle)], env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=log, start_new_session=True, close_fds=True)
        deadline = time.monotonic() + timeout
        while not _healthy(url, timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                from policyflow.schemas.errors import ConfigError

                raise ConfigError("E027", home=home, log=home / LOG)
            time.sleep(0.05)
        info = {"pid": proc.pid, "port": port, "url": url, "started": time.time(), "idle_seconds": idle,
                "python": sys.executable}
        tmp = home / f".{STATE}.tmp"
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, home / STATE)
        return url


def stop(home: Path, *, timeout: float = 10.0) -> bool:
    """Stop `home`'s server; False when none was running."""
    with _locked(home):
        info = status(home)
        (home / STATE).unlink(missing_ok=True)
        if not info:
            return False
        pid = int(info["pid"])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return True


class _Activity:
    """ASGI wrapper that knows when the API last had a request or an open connection."""

    def __init__(self, app):
        self.app, self.open, self.last = app, 0, time.monotonic()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        self.open += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.open else time.monotonic() - self.last


def _serve(port: int, idle: float) -> None:
    import uvicorn
    from prefect.server.api.server import create_app

    app = _Activity(create_app())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))

    def watch() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.1)
        app.last = time.monotonic()  # idle counts from when the API answers, not from the slow start
        while not server.should_exit:
            time.sleep(min(5.0, max(idle / 10, 0.2)))
            if app.idle_for() > idle:
                server.should_exit = True

    threading.Thread(target=watch, daemon=True).start()
    server.run()


if __name__ == "__main__":
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    _serve(int(args["--port"]), float(args.get("--idle", IDLE_SECONDS)))
