"""A watchdog that bounds the time and memory of one call: the call runs in a child process.

A stuck parser (pypdf on a page tree of 99k pages, lxml on a hostile page) cannot be interrupted
from inside its own thread, so documents and reviews run in a long-lived child that the parent
watches: past the time limit or the memory limit the child is killed, the call ends in
`Stopped` (with the stage it had reached) and the next call starts a fresh child. The child
exits when its parent goes away; `extract_flow.claim_processes` stops any a killed run left behind.

Frames on the pipes are length-prefixed pickles; the child keeps stdout for them alone.
"""
from __future__ import annotations

import atexit
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import Any

OWNER = "POLICYFLOW_OWNER"  # the pid of the run that started a process: how the next run finds strays
GRACE = 5.0  # seconds past the time limit before the child is killed (its own deadline fires first)
POLL = 0.05


class Stopped(Exception):
    """The call passed its time or memory limit and its process was killed."""

    def __init__(self, reason: str, stage: str, peak_mb: int):
        super().__init__(f"{reason} at stage {stage!r} (peak {peak_mb} MB)")
        self.reason, self.stage, self.peak_mb = reason, stage, peak_mb


class ChildDied(Exception):
    """The child exited without answering (killed from outside, or a crash in C code)."""


def _frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack(">Q", len(data)) + data


def _rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1 << 20)
    except (OSError, ValueError, IndexError):
        return 0


class Watchdog:
    """Runs `module.function(*args, **kwargs)` in a watched child process, one call at a time."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.buffer = b""
        self.peak_mb = 0  # the child's peak resident memory seen during the last call

    def start(self) -> None:
        """Start the child now (it loads the extractors while the caller does other work)."""
        if self.proc is None or self.proc.poll() is not None:
            self.buffer = b""
            env = dict(os.environ, **{OWNER: str(os.getpid())})
            self.proc = subprocess.Popen([sys.executable, "-m", "policyflow.flows.watchdog", str(os.getpid())],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()

    def call(self, module: str, function: str, *args, time_limit: float | None = None,
             memory_limit: int | None = None, **kwargs) -> Any:
        with self.lock:
            self.start()
            proc = self.proc
            try:
                proc.stdin.write(_frame((module, function, args, kwargs)))
                proc.stdin.flush()
            except OSError:
                self.stop()
                raise ChildDied("the watchdog's child was gone before the call") from None
            deadline = time.monotonic() + time_limit + GRACE if time_limit else None
            stage, peak = "start", _rss_mb(proc.pid)
            while True:
                self.peak_mb = peak
                msg = self._next(proc)
                if msg is not None:
                    kind, value = msg
                    if kind == "stage":
                        stage = value
                        continue
                    if kind == "ok":
                        return value
                    raise RuntimeError(value)
                if proc.poll() is not None:
                    self.stop()
                    raise ChildDied(f"the watchdog's child exited with {proc.returncode} at stage {stage!r}")
                peak = max(peak, _rss_mb(proc.pid))
                if memory_limit and peak > memory_limit:
                    self.stop()
                    raise Stopped("memory", stage, peak)
                if deadline and time.monotonic() > deadline:
                    self.stop()
                    raise Stopped("time", stage, peak)

    def _next(self, proc: subprocess.Popen):
        """The next complete frame from the child, or None after one poll interval."""
        while True:
            if len(self.buffer) >= 8:
                size = struct.unpack(">Q", self.buffer[:8])[0]
                if len(self.buffer) >= 8 + size:
                    data, self.buffer = self.buffer[8:8 + size], self.buffer[8 + size:]
                    return pickle.loads(data)
            ready, _, _ = select.select([proc.stdout], [], [], POLL)
            if not ready:
                return None
            chunk = os.read(proc.stdout.fileno(), 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk


_shared: Watchdog | None = None


def shared() -> Watchdog:
    """This process's watchdog (one child per process: the CLI, or each Dask worker)."""
    global _shared
    if _shared is None:
        _shared = Watchdog()
        atexit.register(_shared.stop)
    return _shared


def _child(parent: int) -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints go to stderr, never into the frames
    inp = sys.stdin.buffer

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def send(obj) -> None:
        out.write(_frame(obj))
        out.flush()

    from policyflow.flows import documents
    from policyflow.extractors.nlp import pipeline

    pipeline()  # jieba's dictionary and spaCy load now, while the parent still sets up its run
    documents.report_stage = lambda stage: send(("stage", stage))
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return
        module, function, args, kwargs = pickle.loads(inp.read(struct.unpack(">Q", head)[0]))
        try:
            result = getattr(importlib.import_module(module), function)(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the parent decides what a failure means
            send(("error", f"{type(exc).__name__}: {exc}"))
        else:
            send(("ok", result))


if __name__ == "__main__":
    _child(int(sys.argv[1]))
