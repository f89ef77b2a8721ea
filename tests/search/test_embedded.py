"""Embedded-only behaviour: version directories, LIVE pointer, write lock, readers in other processes."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from credithub.errors import SearchBackendError
from credithub.search.analysis import analyse_query
from credithub.search import embedded
from credithub.search.base import SearchQuery
from credithub.search.embedded import EmbeddedBackend

REPO = Path(__file__).resolve().parents[2]


def versions(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def test_rebuild_keeps_live_and_one_previous_and_removes_orphans(tmp_path: Path,
                                                                 documents: list[dict[str, Any]]) -> None:
    b = EmbeddedBackend(tmp_path)
    v1 = b.rebuild(documents)
    (tmp_path / "v-00000000T000000000000Z").mkdir()  # orphan of a crashed build
    v2 = b.rebuild(documents)
    assert versions(tmp_path) == [v1, v2]
    v3 = b.rebuild(documents[:3])
    assert versions(tmp_path) == [v2, v3]
    assert (tmp_path / "LIVE").read_text() == v3 and b.count() == 3


def test_failed_rebuild_leaves_live_version_untouched(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    b = EmbeddedBackend(tmp_path)
    v1 = b.rebuild(documents)

    def broken() -> Any:
        yield documents[0]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        b.rebuild(broken())
    assert b.live_version() == v1 and versions(tmp_path) == [v1]
    assert b.count() == len(documents)


def test_second_writer_is_refused_with_typed_error(tmp_path: Path, documents: list[dict[str, Any]],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    b = EmbeddedBackend(tmp_path)
    b.rebuild(documents)
    monkeypatch.setattr(embedded, "WRITE_LOCK_TIMEOUT_S", 0.2)
    with open(tmp_path / "write.lock", "a+") as other_writer:
        fcntl.flock(other_writer, fcntl.LOCK_EX)
        with pytest.raises(SearchBackendError, match="locked"):
            b.upsert(documents[:1])
    assert b.upsert(documents[:1]) == 1


def test_reader_in_another_process_follows_commits_and_swaps(tmp_path: Path,
                                                             documents: list[dict[str, Any]]) -> None:
    writer = EmbeddedBackend(tmp_path)
    writer.rebuild(documents)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from credithub.search.embedded import EmbeddedBackend\n"
        "from credithub.search.base import SearchQuery\n"
        "b = EmbeddedBackend(Path(sys.argv[1]), reload_interval_s=0)\n"
        "for _ in sys.stdin:\n"
        "    hits = [h.entity_id for h in b.search(SearchQuery(q='鹏程物流')).hits]\n"
        "    print(json.dumps([b.count(), b.live_version(), hits]), flush=True)\n"
    )
    # One long-lived reader process, as an API worker would be.
    reader = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

    def read() -> list[Any]:
        assert reader.stdin and reader.stdout
        reader.stdin.write("?\n")
        reader.stdin.flush()
        return json.loads(reader.stdout.readline())

    try:
        count, version, hits = read()
        assert (count, version, hits[0]) == (len(documents), writer.live_version(), "E-PENGCHENG")
        writer.delete(["E-PENGCHENG"])
        count, _, hits = read()
        assert count == len(documents) - 1 and "E-PENGCHENG" not in hits
        v2 = writer.rebuild(documents)
        count, version, hits = read()
        assert (count, version, hits[0]) == (len(documents), v2, "E-PENGCHENG")
    finally:
        reader.communicate(timeout=30)


def test_same_process_reader_reads_own_writes_immediately(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    b = EmbeddedBackend(tmp_path, reload_interval_s=3600)
    b.rebuild(documents)
    assert b.search(SearchQuery(q="鹏程物流")).hits[0].entity_id == "E-PENGCHENG"
    b.delete(["E-PENGCHENG"])
    assert "E-PENGCHENG" not in [h.entity_id for h in b.search(SearchQuery(q="鹏程物流")).hits]


def test_get_returns_indexed_document(tmp_path: Path, documents: list[dict[str, Any]]) -> None:
    b = EmbeddedBackend(tmp_path)
    assert b.get("E-LANHAI") is None
    b.rebuild(documents)
    doc = next(d for d in documents if d["entity_id"] == "E-LANHAI")
    stored = b.get("E-LANHAI")
    assert stored == {k: v for k, v in doc.items() if k not in embedded.INDEX_ONLY_FIELDS}
    assert "variants" not in stored and "typo_keys" not in stored  # re-scoring reads the compact _match field


def test_common_bigrams_are_left_out_without_losing_candidates(
    tmp_path: Path, documents: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thresholds forced down so this small index has "common" bigrams (有限, 科技…), as a city has.
    b = EmbeddedBackend(tmp_path)
    b.rebuild(documents)
    queries = ["深圳市华信科技有限公司", "华信科技", "華信網絡", "绿源环保科技", "科技有限公司", "鹏程物流", "蓝海"]
    plain = {q: b.search(SearchQuery(q=q, size=50)) for q in queries}
    monkeypatch.setattr(embedded, "COMMON_BIGRAM_MIN_DOCS", 0)
    monkeypatch.setattr(embedded, "COMMON_BIGRAM_SHARE", 0.15)
    searcher = b._reader().searcher()  # type: ignore[union-attr]
    plan = analyse_query("华信科技")
    limit = int(searcher.num_docs * 0.15)
    assert any(searcher.doc_freq("names", g) > limit for g in plan.bigrams), "the test needs a common bigram"
    for q in queries:
        pruned = b.search(SearchQuery(q=q, size=50))
        assert {h.entity_id for h in plain[q].hits} <= {h.entity_id for h in pruned.hits}, q
        if plain[q].hits:
            assert pruned.hits[0].entity_id == plain[q].hits[0].entity_id, q
