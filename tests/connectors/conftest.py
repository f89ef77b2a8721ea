from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connectors.fake_api import FakeApi, make_records

EXTERNAL_PKG = Path(__file__).parent / "external_pkg"


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(make_records(45))
    with api.running():
        yield api


def install_dist_info(site: Path, dist: str, entry_points: dict[str, str]) -> None:
    """What `pip install` leaves behind for entry points: a dist-info with entry_points.txt."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n", encoding="utf-8")
    lines = "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[credithub.connectors]\n{lines}", encoding="utf-8")


@pytest.fixture
def external_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tests/connectors/external_pkg installed: package importable and its entry point registered."""
    site = tmp_path / "site"
    install_dist_info(site, "credithub-conn-water", {"water_supply": "credithub_conn_water:WaterSupplyConnector"})
    monkeypatch.syspath_prepend(str(EXTERNAL_PKG))
    monkeypatch.syspath_prepend(str(site))
    return site
