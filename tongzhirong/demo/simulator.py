"""The register simulator: the demo world's sources (enterprise register, court lists, tax grade, certification
lists, IP registers) served over HTTP in the provider contract (docs/fact-sources.md), so the HTTP path runs end
to end on a fresh clone. ``make run`` starts it (``manage.py register_simulator``) before the seed, which
publishes the demo world's register records to it; tests run it in a thread.

A plain WSGI application holding its records in memory (and in a JSON state file when given one, so a restart
keeps them). Two control endpoints that a real provider does not have: ``PUT /_simulator/records`` loads
records, ``PUT /_simulator/fault`` makes it time out, fail or answer garbage, for the tests and the demo."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

QUERY_PATH = "/v1/facts/query"
FAULTS = ("timeout", "error", "malformed", "wrong_shape")


def _key(source: str, uscc: str, ip_type: str = "", identifier: str = "") -> str:
    return "|".join((source, uscc, ip_type or "", identifier or ""))


class RegisterSimulator:
    def __init__(self, *, token: str = "", state: Path | None = None):
        self.token = token
        self.state = state
        self.records: dict[str, list[dict]] = {}
        self.fault: str | None = None
        self.delay = 0.0
        self.requests = 0
        self._lock = threading.Lock()
        if state is not None and state.exists():
            self.records = json.loads(state.read_text(encoding="utf-8"))

    # Loading what the register says.
    def load(self, records: Iterable[dict], *, replace: bool = False) -> int:
        with self._lock:
            if replace:
                self.records = {}
            count = 0
            for record in records:
                key = _key(record["source"], record["uscc"], record.get("ip_type", ""), record.get("identifier", ""))
                self.records[key] = list(record["facts"])
                count += 1
            if self.state is not None:
                self.state.parent.mkdir(parents=True, exist_ok=True)
                self.state.write_text(json.dumps(self.records, ensure_ascii=False), encoding="utf-8")
        return count

    def answer(self, body: dict) -> dict:
        source = body["source"]
        results = []
        for subject in body["subjects"]:
            facts = self.records.get(
                _key(source, subject["uscc"], subject.get("ip_type", ""), subject.get("identifier", ""))
            )
            result = dict(subject)
            result |= {"found": False} if facts is None else {"found": True, "facts": facts}
            results.append(result)
        return {"contract": "1", "source": source, "results": results}

    # WSGI.
    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        if path == "/health":
            return _json(start_response, 200, {"status": "ok", "records": len(self.records)})
        if self.token and environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return _json(start_response, 401, {"title": "credentials refused"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _json(start_response, 400, {"title": "not JSON"})
        if method == "PUT" and path == "/_simulator/records":
            count = self.load(body.get("records", []), replace=bool(body.get("replace")))
            return _json(start_response, 200, {"loaded": count})
        if method == "PUT" and path == "/_simulator/fault":
            self.fault = body.get("fault") if body.get("fault") in FAULTS else None
            self.delay = float(body.get("delay") or 0)
            return _json(start_response, 200, {"fault": self.fault})
        if method == "POST" and path == QUERY_PATH:
            self.requests += 1
            return self._query(start_response, body)
        return _json(start_response, 404, {"title": "not found"})

    def _query(self, start_response, body):
        if self.fault == "timeout":
            time.sleep(self.delay or 5)
        if self.fault == "error":
            return _json(start_response, 503, {"title": "register unavailable"})
        if self.fault == "malformed":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"source": "ip_register", "results": [{"uscc": ']
        if not isinstance(body.get("subjects"), list) or not isinstance(body.get("source"), str):
            return _json(start_response, 400, {"title": "source and subjects are required"})
        answer = self.answer(body)
        if self.fault == "wrong_shape":
            for result in answer["results"]:
                for fact in result.get("facts", []):
                    fact["observed_at"] = "yesterday"
        return _json(start_response, 200, answer)


def _json(start_response, status: int, body: dict):
    data = json.dumps(body, ensure_ascii=False).encode()
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}
    start_response(
        f"{status} {reason[status]}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def serve(app: RegisterSimulator, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> WSGIServer:
    """A threaded server for ``app`` (port 0: any free port, read ``server.server_port``); call
    ``serve_forever`` on it, or ``start_in_thread``."""
    handler = _QuietHandler if quiet else WSGIRequestHandler
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=handler)


def start_in_thread(app: RegisterSimulator, *, port: int = 0) -> WSGIServer:
    server = serve(app, port=port)
    threading.Thread(target=server.serve_forever, name="register-simulator", daemon=True).start()
    return server
