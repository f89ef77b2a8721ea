"""A tiny Elasticsearch stand-in on 127.0.0.1 that records every request.

It keeps just enough state (indices, aliases, documents, template) to answer the index
lifecycle realistically, and answers _search with the alias's documents in insertion
order (score 1.0): the tests assert on the exact requests the backend sends and on how
responses are mapped, not on Elasticsearch's own ranking.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@dataclass
class FakeCluster:
    requests: list[Request] = field(default_factory=list)
    templates: dict[str, Any] = field(default_factory=dict)
    indices: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {id: source}
    aliases: dict[str, set[str]] = field(default_factory=dict)  # alias -> indices
    reject_ids: set[str] = field(default_factory=set)  # bulk items for these ids fail with 400
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, target: str) -> list[str]:
        names: list[str] = []
        for part in target.split(","):
            if part in self.aliases:
                names.extend(sorted(self.aliases[part]))
            else:
                names.extend(n for n in self.indices if fnmatch.fnmatchcase(n, part))
        return names

    def of(self, method: str, path_part: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]


class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _not_found(self, what: str) -> None:
        self._reply(404, {"error": {"type": "index_not_found_exception", "reason": f"no such index [{what}]"},
                          "status": 404})

    def _handle(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = [unquote(p) for p in url.path.strip("/").split("/") if p]
        c = self.cluster
        with c.lock:
            c.requests.append(Request(self.command, "/" + "/".join(parts), params, body))
            self._route(self.command, parts, params, body)

    def _route(self, method: str, parts: list[str], params: dict[str, str], body: bytes) -> None:
        c = self.cluster
        if method == "GET" and not parts:
            self._reply(200, {"version": {"number": "9.1.0"}, "tagline": "You Know, for Search"})
        elif parts[:1] == ["_index_template"]:
            if method == "PUT":
                c.templates[parts[1]] = json.loads(body)
                self._reply(200, {"acknowledged": True})
            elif method == "DELETE":
                found = c.templates.pop(parts[1], None)
                self._reply(200, {"acknowledged": True}) if found else self._not_found(parts[1])
        elif parts[:1] == ["_alias"] and method == "GET":
            alias = parts[1]
            if not c.aliases.get(alias):
                self._reply(404, {"error": f"alias [{alias}] missing", "status": 404})
            else:
                self._reply(200, {i: {"aliases": {alias: {}}} for i in sorted(c.aliases[alias])})
        elif parts == ["_aliases"] and method == "POST":
            for action in json.loads(body)["actions"]:
                (kind, spec), = action.items()
                members = c.aliases.setdefault(spec["alias"], set())
                members.discard(spec["index"]) if kind == "remove" else members.add(spec["index"])
            self._reply(200, {"acknowledged": True})
        elif parts == ["_bulk"] or parts[-1:] == ["_bulk"]:
            self._bulk(body)
        elif len(parts) == 2 and parts[1] == "_search":
            names = c.resolve(parts[0])
            if not names:
                return self._not_found(parts[0])
            docs = [(i, d) for n in names for i, d in c.indices[n].items()]
            req = json.loads(body) if body else {}
            start, size = req.get("from", 0), req.get("size", 10)
            hits = [{"_index": names[0], "_id": i, "_score": 1.0, "_source": d} for i, d in docs[start : start + size]]
            self._reply(200, {"took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0,
                                                                          "failed": 0},
                              "hits": {"total": {"value": len(docs), "relation": "eq"}, "max_score": 1.0,
                                       "hits": hits}})
        elif len(parts) == 2 and parts[1] == "_count":
            names = c.resolve(parts[0])
            if not names:
                return self._not_found(parts[0])
            self._reply(200, {"count": sum(len(c.indices[n]) for n in names), "_shards": {"total": 1}})
        elif len(parts) == 2 and parts[1] == "_settings" and method == "PUT":
            self._reply(200, {"acknowledged": True})
        elif len(parts) == 2 and parts[1] == "_refresh":
            self._reply(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
        elif len(parts) == 1 and method == "PUT":
            c.indices[parts[0]] = {}
            self._reply(200, {"acknowledged": True, "shards_acknowledged": True, "index": parts[0]})
        elif len(parts) == 1 and method == "GET":
            self._reply(200, {n: {"aliases": {}, "settings": {}} for n in c.resolve(parts[0])})
        elif len(parts) == 1 and method == "DELETE":
            for n in c.resolve(parts[0]):
                del c.indices[n]
                for members in c.aliases.values():
                    members.discard(n)
            self._reply(200, {"acknowledged": True})
        else:
            self._reply(400, {"error": f"fake ES does not handle {method} /{'/'.join(parts)}", "status": 400})

    def _bulk(self, body: bytes) -> None:
        c = self.cluster
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        items, errors, i = [], False, 0
        while i < len(lines):
            (op, meta), = lines[i].items()
            target = c.resolve(meta["_index"])
            index = target[0] if target else meta["_index"]
            doc_id = meta["_id"]
            if op == "delete":
                existed = c.indices.get(index, {}).pop(doc_id, None) is not None
                items.append({op: {"_index": index, "_id": doc_id, "status": 200 if existed else 404,
                                   "result": "deleted" if existed else "not_found"}})
                i += 1
                continue
            source = lines[i + 1]
            i += 2
            if doc_id in c.reject_ids:
                errors = True
                items.append({op: {"_index": index, "_id": doc_id, "status": 400, "error": {
                    "type": "document_parsing_exception", "reason": "failed to parse field [established]"}}})
                continue
            existed = doc_id in c.indices.setdefault(index, {})
            c.indices[index][doc_id] = source
            items.append({op: {"_index": index, "_id": doc_id, "status": 200 if existed else 201,
                               "result": "updated" if existed else "created"}})
        self._reply(200, {"took": 3, "errors": errors, "items": items})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


@contextmanager
def fake_elasticsearch() -> Iterator[tuple[str, FakeCluster]]:
    cluster = FakeCluster()
    handler = type("Handler", (_Handler,), {"cluster": cluster})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", cluster
    finally:
        server.shutdown()
        server.server_close()
