"""Serving the simulator: werkzeug's threaded server for one process, gunicorn for several.

werkzeug's development server opens a connection and a thread per request and manages a few
hundred requests a second: plenty for a demo. The connector benchmark needs more, so
`casesim run --workers N` (N > 1) serves the same app with gunicorn's threaded workers, which keep
connections alive. SQLite serialises the writes of the worker processes (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def serve(app_factory: Callable[[], Flask], host: str, port: int, workers: int = 1, threads: int = 8) -> None:
    if workers <= 1:
        from werkzeug.serving import run_simple

        run_simple(host, port, app_factory(), threaded=True, use_reloader=False, use_debugger=False)
        return

    from gunicorn.app.base import BaseApplication

    class _Simulator(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "keepalive": 5,
                # Heartbeats come from the worker's main loop, not from request threads, so a
                # request that "hangs" on purpose (the hang fault) does not get the worker killed.
                "timeout": 120,
                "loglevel": "warning",
            }
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self):
            # Each worker process builds its own app, engine and connections after the fork.
            return app_factory()

    _Simulator().run()
