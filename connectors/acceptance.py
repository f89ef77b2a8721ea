"""The standard acceptance suite every connector must pass (pytest and `credithub connectors test`).

    from connectors.acceptance import run_acceptance
    report = run_acceptance(MyConnector, good_config, work_dir=tmp_path)
    report.assert_ok()

or, in a test module, one pytest test per check:

    test_acceptance = make_acceptance_test(MyConnector, lambda tmp: {"directory": str(SAMPLE)})

Checks (CHECKS): spec, declaration, bad_config, check_ok, check_broken, read, incremental,
repeated_sync, bad_rows, no_secrets. What each asserts is in its docstring and docs/connectors.md.
Inputs besides the good config are optional: bad configs are derived (an unknown key, an empty
config), a broken source is derived by pointing each transport at a missing folder / closed port /
absent database, and bad rows are injected into a copy of a file-drop folder or SQLite database
(or pass `bad_rows_config`, e.g. for an API that cannot be altered).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from connectors.sdk.base import Connector, SourceFault, SourceRow, StateCheckpoint, Stream
from connectors.sdk.config import FileDropConfig, HttpSourceConfig, SqlSourceConfig
from connectors.sdk.streams import DeclarativeStream, FileStream
from credithub.errors import ConfigError
from credithub.hashing import content_hash

CHECKS = (
    "spec",
    "declaration",
    "bad_config",
    "check_ok",
    "check_broken",
    "read",
    "incremental",
    "repeated_sync",
    "bad_rows",
    "expectations",
    "no_secrets",
)

SECRET_NAME_HINTS = ("password", "secret", "token", "api_key", "apikey", "private_key")
IDENTIFIER_KINDS = {"uscc", "org_code", "reg_no", "tax_no"}


class CheckOutcome(BaseModel):
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False


class AcceptanceReport(BaseModel):
    connector: str
    outcomes: list[CheckOutcome]

    @property
    def ok(self) -> bool:
        return all(o.ok or o.skipped for o in self.outcomes)

    def failures(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if not (o.ok or o.skipped)]

    def assert_ok(self) -> None:
        bad = self.failures()
        if bad:
            lines = "\n".join(f"  {o.name}: {o.detail}" for o in bad)
            raise AssertionError(f"connector {self.connector} failed acceptance:\n{lines}")


class _Skip(Exception):
    pass


class _SecretScan:
    """Checks every produced text for secret values without keeping the texts."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = secrets
        self.count = 0
        self.leaks: set[str] = set()

    def append(self, text: str) -> None:
        self.count += 1
        self.leaks.update(s for s in self.secrets if s in text)

    def extend(self, texts: list[str]) -> None:
        for t in texts:
            self.append(t)

    def __len__(self) -> int:
        return self.count


# ---------------------------------------------------------------- helpers


def secret_values(config: Any) -> list[str]:
    """Every non-empty SecretStr value inside a config model (recursively)."""
    found: list[str] = []
    if isinstance(config, SecretStr):
        v = config.get_secret_value()
        if v:
            found.append(v)
    elif isinstance(config, BaseModel):
        for name in type(config).model_fields:
            found += secret_values(getattr(config, name))
    elif isinstance(config, Mapping):
        for v in config.values():
            found += secret_values(v)
    elif isinstance(config, (list, tuple)):
        for v in config:
            found += secret_values(v)
    return found


def _map_transports(config: BaseModel, fn: Callable[[BaseModel], BaseModel | None]) -> BaseModel:
    replaced = fn(config)
    if replaced is not None:
        return replaced
    updates = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, BaseModel):
            updates[name] = _map_transports(value, fn)
    return config.model_copy(update=updates) if updates else config


def broken_config(config: BaseModel, work_dir: Path) -> BaseModel:
    """The same config with every transport pointed at a source that is not there."""

    def fn(cfg: BaseModel) -> BaseModel | None:
        if isinstance(cfg, FileDropConfig):
            return cfg.model_copy(update={"directory": work_dir / "missing-folder"})
        if isinstance(cfg, HttpSourceConfig):
            from pydantic import HttpUrl

            return cfg.model_copy(
                update={"base_url": HttpUrl("http://127.0.0.1:9/unreachable"), "max_retries": 0, "timeout_s": 2.0}
            )
        if isinstance(cfg, SqlSourceConfig):
            return cfg.model_copy(update={"url": f"sqlite:///{work_dir / 'missing-folder' / 'absent.db'}"})
        return None

    return _map_transports(config, fn)


def _pattern_name(pattern: str, stem: str) -> str:
    return pattern.replace("**/", "").replace("*", stem, 1).replace("*", "").replace("?", "x")


def _injected_file(stream: FileStream, directory: Path, pattern: str) -> tuple[str, bytes] | None:
    name = _pattern_name(pattern, "zz_acceptance_bad_rows")
    kind = stream.transport_kind
    if kind == "csv":
        delim = getattr(stream, "delimiter", ",")
        enc = stream.effective_encoding()
        codec = "utf-8" if enc in ("auto", "utf-8-sig") else enc
        header = delim.join(stream.fields).encode(codec)
        good_width_bad_bytes = b"\xff\xfe\xfd" + delim.encode() * (len(stream.fields) - 1)
        return name, header + b"\n" + good_width_bad_bytes + b"\n" + "只有一列".encode(codec) + b"\n"
    if kind == "jsonl":
        return name, b'{"broken": \n\xff\xfe\n[1, 2]\n'
    if kind == "xml":
        tag = getattr(stream, "record_tag", "record")
        return name, f"<root><{tag}><a>1</a></{tag}><{tag}".encode()
    if kind == "xlsx":
        return name, b"PK\x03\x04 truncated workbook"
    return None


class CorruptingProxy:
    """A local HTTP proxy in front of an API that corrupts one record of the first page it serves.

    The first distinct request (path + query) gets the first object of its record list replaced by
    a string, every time it is asked (so retries see the same page): the transport must report that
    item as a SourceFault and read the rest.
    """

    MARK = "<<acceptance: corrupted record>>"

    def __init__(self, target: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.first_key: str | None = None
        self.corrupted = 0
        self.server: Any = None

    def __enter__(self) -> CorruptingProxy:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        proxy = self
        client = httpx.Client(timeout=30)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding")}
                resp = client.get(proxy.origin + self.path, headers=headers)
                body = resp.content
                if proxy.first_key is None and resp.status_code == 200:
                    proxy.first_key = self.path
                if self.path == proxy.first_key:
                    try:
                        doc = json.loads(body)
                        if _corrupt_first_record(doc, proxy.MARK):
                            proxy.corrupted += 1
                            body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
                    except ValueError:
                        pass
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._client = client
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()


def _corrupt_first_record(doc: Any, mark: str) -> bool:
    """Replace the first object of the first non-empty list of objects (depth-first) by `mark`."""
    if isinstance(doc, list):
        if doc and all(isinstance(x, dict) for x in doc):
            doc[0] = mark
            return True
        return any(_corrupt_first_record(x, mark) for x in doc)
    if isinstance(doc, dict):
        return any(_corrupt_first_record(v, mark) for v in doc.values())
    return False


def inject_bad_rows(connector: Connector, work_dir: Path, stack: contextlib.ExitStack | None = None) -> BaseModel | None:
    """A config reading a copy of the source with bad rows added; None if impossible.

    File drops and SQLite databases are copied and altered; HTTP APIs are read through a
    CorruptingProxy (kept open by `stack`).
    """
    cfg = connector.config
    dest_root = work_dir / "bad-rows"
    injected = False

    streams = [s for s in connector.stream_instances() if isinstance(s, DeclarativeStream)]

    def fn(part: BaseModel) -> BaseModel | None:
        nonlocal injected
        if isinstance(part, FileDropConfig):
            dest = dest_root / f"files-{len(list(dest_root.glob('files-*'))) if dest_root.exists() else 0}"
            shutil.copytree(part.directory, dest)
            for s in streams:
                if isinstance(s, FileStream) and s.transport_config() is part:
                    made = _injected_file(s, dest, part.pattern or s.pattern)
                    if made:
                        (dest / made[0]).write_bytes(made[1])
                        injected = True
            return part.model_copy(update={"directory": dest})
        if isinstance(part, SqlSourceConfig) and part.url.startswith("sqlite:///"):
            src = Path(part.url.removeprefix("sqlite:///"))
            dest_root.mkdir(parents=True, exist_ok=True)
            dest = dest_root / f"{src.stem}-bad{src.suffix}"
            shutil.copy(src, dest)
            with sqlite3.connect(dest) as db:
                for s in streams:
                    table = getattr(s, "table", None)
                    if table is None or s.transport_config() is not part:
                        continue
                    pk_col = getattr(s, "pk_column", None)
                    cols = [c for c in (s.source_column(s.cursor_field),) if c]
                    try:
                        # A row without a record id: must come back as a SourceFault.
                        row = db.execute(f'SELECT * FROM "{table}" LIMIT 1').fetchone()
                        names = [d[0] for d in db.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
                        if row is None:
                            continue
                        values = dict(zip(names, row, strict=True))
                        rid_col = s.source_column(s.primary_key)
                        if rid_col is None or rid_col == pk_col:
                            continue
                        values[rid_col] = None
                        if pk_col and isinstance(values.get(pk_col), int):
                            values[pk_col] = db.execute(f'SELECT MAX("{pk_col}") + 1 FROM "{table}"').fetchone()[0]
                        for c in cols:
                            values[c] = "9999-12-31T00:00:00"
                        db.execute(
                            f'INSERT INTO "{table}" ({", ".join(chr(34) + n + chr(34) for n in values)}) '
                            f'VALUES ({", ".join("?" for _ in values)})',
                            list(values.values()),
                        )
                        injected = True
                    except sqlite3.DatabaseError:
                        continue
            return part.model_copy(update={"url": f"sqlite:///{dest}"})
        if isinstance(part, HttpSourceConfig) and stack is not None:
            from pydantic import HttpUrl

            proxy = stack.enter_context(CorruptingProxy(str(part.base_url)))
            injected = True
            return part.model_copy(update={"base_url": HttpUrl(proxy.base_url)})
        return None

    new_cfg = _map_transports(cfg, fn)
    return new_cfg if injected else None


@contextmanager
def _capture_logs(scan: _SecretScan) -> Iterator[None]:
    """Every log record (DEBUG and up, all loggers) goes through the secret scan while the suite runs."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                scan.append(self.format(record))
            except Exception:  # noqa: BLE001 - a broken log call must not break the suite
                scan.append(str(record.msg))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


class _Run:
    def __init__(
        self,
        cls: type[Connector],
        good: Mapping[str, Any],
        bad: list[Mapping[str, Any]],
        broken: Mapping[str, Any] | None,
        bad_rows: Mapping[str, Any] | None,
        work_dir: Path,
        max_records: int | None,
    ) -> None:
        self.cls = cls
        self.good = good
        self.bad = bad
        self.broken = broken
        self.bad_rows = bad_rows
        self.work_dir = work_dir
        self.max_records = max_records
        try:
            secrets = secret_values(cls(dict(good)).config)
        except Exception:  # noqa: BLE001 - an invalid good config fails in the checks themselves
            secrets = []
        self.outputs = _SecretScan(secrets)  # every text the connector produced is scanned as it comes
        self._connector: Connector | None = None
        self._reads: dict[str, dict[str, Any]] | None = None
        self.stack = contextlib.ExitStack()

    def connector(self) -> Connector:
        if self._connector is None:
            self._connector = self.cls(dict(self.good))
        return self._connector

    def read_stream(self, stream: Stream, state: Mapping[str, Any] | None) -> dict[str, Any]:
        keys: list[tuple[str, str]] = []
        checkpoints: list[tuple[int, dict[str, Any]]] = []
        faults: list[SourceFault] = []
        sample: list[SourceRow] = []
        for msg in stream.read(state):
            self.outputs.append(msg.model_dump_json())
            if isinstance(msg, SourceRow):
                json.dumps(msg.data)  # data must land in a JSON column
                keys.append((msg.record_id, content_hash(msg.data)))
                if len(sample) < 200:
                    sample.append(msg)
            elif isinstance(msg, SourceFault):
                faults.append(msg)
            elif isinstance(msg, StateCheckpoint):
                checkpoints.append((len(keys), dict(msg.state)))
            if self.max_records is not None and len(keys) >= self.max_records:
                break
        return {"keys": keys, "checkpoints": checkpoints, "faults": faults, "sample": sample}

    def reads(self) -> dict[str, dict[str, Any]]:
        if self._reads is None:
            self._reads = {s.name: self.read_stream(s, None) for s in self.connector().stream_instances()}
        return self._reads

    # ------------------------------------------------------------ checks

    def check_spec(self) -> str:
        """Spec is a valid JSON Schema; every secret-looking or SecretStr field is password/writeOnly."""
        import jsonschema

        spec = self.cls.spec()
        jsonschema.Draft202012Validator.check_schema(spec)
        self.outputs.append(json.dumps(spec, ensure_ascii=False))
        unmarked: list[str] = []

        def walk(schema: Mapping[str, Any], path: str, defs: Mapping[str, Any]) -> None:
            if "$ref" in schema:
                ref = schema["$ref"].rsplit("/", 1)[-1]
                walk(defs.get(ref, {}), path, defs)
            for key in ("anyOf", "oneOf", "allOf"):
                for sub in schema.get(key, []):
                    walk(sub, path, defs)
            for name, sub in schema.get("properties", {}).items():
                p = f"{path}.{name}" if path else name
                if name.lower().endswith(SECRET_NAME_HINTS) and not _marks_secret(sub, defs):
                    unmarked.append(p)
                walk(sub, p, defs)

        walk(spec, "", spec.get("$defs", {}))
        if unmarked:
            raise AssertionError(f"secret fields not marked format=password/writeOnly: {', '.join(unmarked)}")
        return f"{len(spec.get('properties', {}))} top-level properties"

    def check_declaration(self) -> str:
        """Name, Chinese title, schedule, SLA; per stream: unique name, PK/cursor/identifiers among staged fields."""
        cls = self.cls
        problems = []
        if not getattr(cls, "name", None):
            problems.append("connector has no name")
        if not getattr(cls, "title", None):
            problems.append("connector has no title (Chinese department name)")
        if cls.freshness_sla.total_seconds() <= 0:
            problems.append("freshness_sla must be positive")
        if not cls.streams:
            problems.append("no streams")
        names = [s.name for s in cls.streams]
        if len(set(names)) != len(names):
            problems.append(f"duplicate stream names {names}")
        for s in cls.streams:
            staged = set(s.fields.values())
            if s.fields and s.primary_key not in staged:
                problems.append(f"{s.name}: primary_key {s.primary_key!r} is not a staged field")
            if s.cursor_field and s.fields and s.cursor_field not in staged:
                problems.append(f"{s.name}: cursor_field {s.cursor_field!r} is not a staged field")
            for f, kind in s.identifier_fields.items():
                if f not in staged:
                    problems.append(f"{s.name}: identifier field {f!r} is not a staged field")
                if kind not in IDENTIFIER_KINDS:
                    problems.append(f"{s.name}: identifier kind {kind!r} unknown")
            missing_req = [c for c in s.required_columns if s.fields and c not in s.fields]
            if missing_req:
                problems.append(f"{s.name}: required columns not mapped: {missing_req}")
        if problems:
            raise AssertionError("; ".join(problems))
        return f"{len(names)} stream(s): {', '.join(names)}; schedule {cls.schedule}; SLA {cls.freshness_sla}"

    def check_bad_config(self) -> str:
        """Invalid configs raise ConfigError naming the offending field."""
        cases: list[tuple[Mapping[str, Any], list[str]]] = [
            ({**self.good, "unexpected_option": 1}, ["unexpected_option"]),
            ({}, list(n for n, f in self.cls.config_model.model_fields.items() if f.is_required())),
        ]
        cases += [(b, list(b) + list(self.cls.config_model.model_fields)) for b in self.bad]
        done = 0
        for cfg, names in cases:
            if not names:
                continue  # an empty config is valid when nothing is required
            try:
                self.cls(dict(cfg))
            except ConfigError as exc:
                self.outputs.append(str(exc))
                if not any(n in str(exc) for n in names):
                    raise AssertionError(f"ConfigError does not name the field: {exc}") from exc
                done += 1
            else:
                raise AssertionError(f"config accepted although invalid: keys {sorted(cfg)}")
        return f"{done} invalid configs rejected with the field named"

    def check_check_ok(self) -> str:
        """check() succeeds on the good source."""
        res = self.connector().check()
        self.outputs.append(res.model_dump_json())
        if not res.ok:
            raise AssertionError(f"check failed on the good config: {res.message}")
        return res.message or "ok"

    def check_check_broken(self) -> str:
        """check() on an unreachable source returns ok=False with a message naming the stream."""
        if self.broken is not None:
            conn = self.cls(dict(self.broken))
        else:
            conn = self.cls(broken_config(self.connector().config, self.work_dir))
        res = conn.check()
        self.outputs.append(res.model_dump_json())
        if res.ok:
            raise AssertionError(f"check passed on a broken source: {res.message}")
        if not res.message or not any(s.name in res.message for s in conn.stream_instances()):
            raise AssertionError(f"check message does not name the stream: {res.message!r}")
        return res.message

    def check_read(self) -> str:
        """Every stream returns records; staged fields present; PK non-null and unique; to_canonical maps them."""
        parts = []
        conn = self.connector()
        for stream in conn.stream_instances():
            r = self.reads()[stream.name]
            if not r["keys"]:
                raise AssertionError(f"{stream.name}: no records read")
            by_id: dict[str, set[str]] = {}
            for rid, h in r["keys"]:
                by_id.setdefault(rid, set()).add(h)
            clashes = [rid for rid, hs in by_id.items() if len(hs) > 1]
            if clashes:
                raise AssertionError(f"{stream.name}: primary key not unique, e.g. {clashes[:3]}")
            mapped = 0
            errors: list[str] = []
            for row in r["sample"]:
                staged = stream.stage(row.data)
                if stream.fields and set(staged) != set(stream.fields.values()):
                    raise AssertionError(f"{stream.name}: staged fields differ from the declaration at {row.location}")
                if stream.fields and staged.get(stream.primary_key) in (None, ""):
                    raise AssertionError(f"{stream.name}: primary key {stream.primary_key} empty at {row.location}")
                try:
                    rec = stream.to_canonical(staged)
                except Exception as exc:  # noqa: BLE001 - bad rows are validation's job; count them
                    errors.append(f"{row.location}: {type(exc).__name__}: {exc}")
                    continue
                if rec.department != conn.name or rec.dataset != stream.name:
                    raise AssertionError(
                        f"{stream.name}: to_canonical gave department/dataset {rec.department}/{rec.dataset}"
                    )
                mapped += 1
            if mapped == 0:
                raise AssertionError(f"{stream.name}: to_canonical failed on every sampled row: {errors[:2]}")
            parts.append(
                f"{stream.name}: {len(r['keys'])} rows, {len(r['faults'])} faults, "
                f"{mapped}/{len(r['sample'])} mapped"
            )
        return "; ".join(parts)

    def check_incremental(self) -> str:
        """From the final state nothing new comes back and the state does not go backwards;
        resuming from a middle checkpoint leaves no gaps."""
        parts = []
        for stream in self.connector().stream_instances():
            first = self.reads()[stream.name]
            if not first["checkpoints"]:
                raise AssertionError(f"{stream.name}: the read emitted no StateCheckpoint")
            seen = set(first["keys"])
            final = first["checkpoints"][-1][1]
            second = self.read_stream(stream, final)
            new = [k for k in second["keys"] if k not in seen]
            if new:
                raise AssertionError(f"{stream.name}: second read from the final state returned new rows {new[:3]}")
            if second["checkpoints"] and isinstance(stream, DeclarativeStream):
                if not stream.state_not_before(second["checkpoints"][-1][1], final):
                    raise AssertionError(f"{stream.name}: state went backwards: {final} -> {second['checkpoints'][-1][1]}")
            mids = first["checkpoints"][:-1]
            resumed = "no middle checkpoint"
            if mids:
                pos, mid = mids[len(mids) // 2]
                rest = self.read_stream(stream, mid)
                covered = set(first["keys"][:pos]) | set(rest["keys"])
                gaps = seen - covered
                if gaps:
                    raise AssertionError(f"{stream.name}: resuming from {mid} misses {sorted(gaps)[:3]}")
                resumed = f"resume after {pos} rows re-read {len(rest['keys'])}"
            parts.append(f"{stream.name}: second read {len(second['keys'])} (none new); {resumed}")
        return "; ".join(parts)

    def check_repeated_sync(self) -> str:
        """Through the real sync stage: a second sync and a --full sync add nothing."""
        from credithub.pipeline.sync import sync_department
        from credithub.storage.db import Database

        db = Database(f"sqlite:///{self.work_dir / 'acceptance.db'}")
        try:
            db.migrate()
            conn = self.connector()
            first = sync_department(db, conn)
            second = sync_department(db, conn)
            full = sync_department(db, conn, full=True)
        finally:
            db.dispose()
        for rep in first + second + full:
            self.outputs.append(rep.model_dump_json())
        new_first = sum(r.rows_new for r in first)
        again = sum(r.rows_new for r in second) + sum(r.rows_new for r in full)
        if new_first == 0:
            raise AssertionError("first sync landed nothing")
        if again:
            raise AssertionError(f"repeated/full sync landed {again} more rows")
        return f"first sync {new_first} rows; repeated and --full: 0 new"

    def check_bad_rows(self) -> str:
        """Injected bad rows come back as SourceFaults with location and reason; the read goes on."""
        conn_cfg: Any
        if self.bad_rows is not None:
            conn_cfg = dict(self.bad_rows)
            how = "bad_rows_config"
        else:
            conn_cfg = inject_bad_rows(self.connector(), self.work_dir, self.stack)
            how = "injected"
            if conn_cfg is None:
                total = sum(len(r["faults"]) for r in self.reads().values())
                if total:
                    return f"{total} faults in the good source reported as SourceFault (no injection possible)"
                raise _Skip("no way to inject bad rows into this transport; pass bad_rows_config")
        conn = self.cls(conn_cfg)
        faults = 0
        rows = 0
        for stream in conn.stream_instances():
            r = self.read_stream(stream, None)
            rows += len(r["keys"])
            for f in r["faults"]:
                if not f.location or not f.reason:
                    raise AssertionError(f"{stream.name}: fault without location/reason: {f}")
            faults += len(r["faults"])
        good_faults = sum(len(r["faults"]) for r in self.reads().values())
        if faults <= good_faults:
            raise AssertionError(f"no SourceFault for the {how} bad rows ({faults} faults)")
        if rows == 0:
            raise AssertionError("good rows were not read next to the bad ones")
        return f"{how}: {faults - good_faults} new faults, {rows} good rows still read"

    def suite_dirs(self) -> list[Path]:
        import sys

        from credithub.settings import Settings

        dirs = [Settings().expectations_dir]
        module = sys.modules.get(self.cls.__module__)
        if module is not None and getattr(module, "__file__", None):
            here = Path(module.__file__).resolve().parent  # type: ignore[arg-type]
            dirs += [here / "expectations", here.parent / "expectations"]
        return [d for d in dirs if d.is_dir()]

    def check_expectations(self) -> str:
        """Each stream's suite <department>.<stream>.json (CreditHub's expectations/ or the package's)
        is GX 1.x JSON whose columns are all staged fields."""
        found, missing = [], []
        for stream in self.cls.streams:
            fname = f"{self.cls.name}.{stream.name}.json"
            path = next((d / fname for d in self.suite_dirs() if (d / fname).is_file()), None)
            if path is None:
                missing.append(fname)
                continue
            suite = json.loads(path.read_text(encoding="utf-8"))
            exps = suite.get("expectations")
            if not isinstance(exps, list) or not exps:
                raise AssertionError(f"{path}: no expectations")
            staged = set(stream.fields.values())
            for e in exps:
                if "type" not in e:
                    raise AssertionError(f"{path}: expectation without type: {e}")
                kw = e.get("kwargs", {})
                cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw] + list(kw.get("column_list", []))
                unknown = [c for c in cols if stream.fields and c not in staged]
                if unknown:
                    raise AssertionError(f"{path.name}: {e['type']} uses {unknown}, not staged fields of {stream.name}")
            found.append(f"{fname} ({len(exps)})")
        if not found:
            raise _Skip(f"no expectation suite found ({', '.join(missing)})")
        if missing:
            raise AssertionError(f"missing suites: {', '.join(missing)}")
        return ", ".join(found)

    def check_no_secrets(self) -> str:
        """No configured secret appears in spec, config repr, messages, check results, errors or logs."""
        secrets = self.outputs.secrets
        self.outputs.append(repr(self.connector().config))
        self.outputs.append(str(self.connector().config))
        leaks = self.outputs.leaks
        if leaks:
            raise AssertionError(f"{len(leaks)} secret value(s) appear in connector output")
        return f"{len(secrets)} secret(s) checked against {len(self.outputs)} outputs" if secrets else "no secrets configured"


def _marks_secret(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> bool:
    if schema.get("format") == "password" and schema.get("writeOnly"):
        return True
    if schema.get("type") in ("object",) or "$ref" in schema and defs.get(schema["$ref"].rsplit("/", 1)[-1], {}).get(
        "type"
    ) == "object":
        return True  # a nested section named e.g. "api_key_settings" is not itself a secret
    for key in ("anyOf", "oneOf"):
        subs = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if subs and all(_marks_secret(s, defs) for s in subs):
            return True
    return False


def run_acceptance(
    connector_cls: type[Connector],
    good_config: Mapping[str, Any],
    *,
    bad_configs: list[Mapping[str, Any]] | None = None,
    broken_config: Mapping[str, Any] | None = None,
    bad_rows_config: Mapping[str, Any] | None = None,
    work_dir: Path | None = None,
    only: list[str] | None = None,
    max_records: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> AcceptanceReport:
    """Run the standard checks; never raises for a failing check (see AcceptanceReport.assert_ok)."""
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="credithub-acceptance-")
        work_dir = Path(tmp.name)
    work_dir.mkdir(parents=True, exist_ok=True)
    run = _Run(connector_cls, good_config, list(bad_configs or []), broken_config, bad_rows_config, work_dir, max_records)
    outcomes: list[CheckOutcome] = []
    try:
        with _capture_logs(run.outputs):
            for name in only or CHECKS:
                if name not in CHECKS:
                    raise ConfigError(f"unknown acceptance check {name!r}", known=", ".join(CHECKS))
                if progress:
                    progress(name)
                if name == "no_secrets" and only and len(only) == 1:
                    _collect_outputs(run)  # the other checks produce the outputs this one scans
                try:
                    detail = getattr(run, f"check_{name}")()
                    outcomes.append(CheckOutcome(name=name, ok=True, detail=detail))
                except _Skip as exc:
                    outcomes.append(CheckOutcome(name=name, ok=False, skipped=True, detail=str(exc)))
                except AssertionError as exc:
                    outcomes.append(CheckOutcome(name=name, ok=False, detail=str(exc)))
                except Exception as exc:  # noqa: BLE001 - the suite reports every failure
                    run.outputs.append(str(exc))
                    outcomes.append(CheckOutcome(name=name, ok=False, detail=f"{type(exc).__name__}: {exc}"))
    finally:
        run.stack.close()
        if tmp is not None:
            tmp.cleanup()
    return AcceptanceReport(connector=connector_cls.name, outcomes=outcomes)


def _collect_outputs(run: _Run) -> None:
    for check in ("spec", "check_ok", "check_broken", "read", "bad_config"):
        try:
            getattr(run, f"check_{check}")()
        except Exception as exc:  # noqa: BLE001 - only the text matters here
            run.outputs.append(str(exc))


def make_acceptance_test(
    connector_cls: type[Connector],
    good_config: Mapping[str, Any] | Callable[[Path], Mapping[str, Any]],
    **kwargs: Any,
) -> Callable[..., None]:
    """A pytest test function, parametrized with one case per acceptance check.

    `good_config` may be a callable receiving a temp directory (to generate a source there).
    """
    import pytest

    @pytest.mark.parametrize("check", CHECKS)
    def test_acceptance(check: str, tmp_path: Path) -> None:
        cfg = good_config(tmp_path / "source") if callable(good_config) else good_config
        report = run_acceptance(connector_cls, cfg, work_dir=tmp_path / "work", only=[check], **kwargs)
        (outcome,) = report.outcomes
        if outcome.skipped:
            pytest.skip(outcome.detail)
        report.assert_ok()

    return test_acceptance


def render_report(report: AcceptanceReport) -> Any:
    """A rich Table of the outcomes (for the CLI)."""
    from rich.table import Table

    table = Table(title=f"acceptance: {report.connector}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for o in report.outcomes:
        mark = "[yellow]skip[/]" if o.skipped else ("[green]pass[/]" if o.ok else "[red]FAIL[/]")
        table.add_row(o.name, mark, o.detail)
    return table
