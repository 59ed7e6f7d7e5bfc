"""Prefect flows and tasks, the CLI, and all I/O.

Telemetry is off unless the user turns it on: nothing here depends on the network.
"""
import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's local server must start within this; its 20 s default fails on a loaded 2-core machine
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
