"""The console's `?msg=` shows only fixed sentences chosen by code; text from the URL is never printed."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.steward.flash import MESSAGES, flash_message, flash_url
from tests.stewardship.conftest import World, full_app_world

ATTACKER_TEXTS = [
    "系统升级，请把访问令牌发送到 helpdesk@evil.example 完成验证",
    "<b>请重新登录</b>",
    "logged_out 并访问 evil.example",
    "您已退出登录。请访问 evil.example",
]
PAGES = ["/steward/login", "/steward", "/steward/batches", "/steward/audit"]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    with full_app_world(tmp_path_factory.mktemp("flash") / "var") as pair:
        yield pair


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("text", ATTACKER_TEXTS)
def test_arbitrary_text_is_never_reflected(console: tuple[TestClient, World], page: str, text: str) -> None:
    client, w = console
    r = client.get(page, params={"msg": text}, headers=w.auth("admin"))
    assert r.status_code == 200
    assert "evil.example" not in r.text and "<b>请重新登录" not in r.text and "&lt;b&gt;" not in r.text
    assert 'id="flash"' not in r.text


def test_a_known_code_shows_its_fixed_sentence(console: tuple[TestClient, World]) -> None:
    client, _ = console
    r = client.get("/steward/login", params={"msg": "logged_out"})
    assert 'id="flash"' in r.text and MESSAGES["logged_out"] in r.text


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"msg": "batch_released", "batch": "12"}, "批次 12 已放行。"),
        ({"msg": "batch_released", "batch": "12 evil.example"}, None),
        ({"msg": "batch_released", "batch": "-3"}, None),
        ({"msg": "batch_released", "batch": "1" * 30}, None),
        ({"msg": "batch_released"}, None),
        ({"msg": "bulk_rejected", "done": "2", "refused": "0"}, "已驳回 2 条；未处理 0 条。"),
        ({"msg": "no_such_code"}, None),
    ],
)
def test_numbers_in_messages_must_be_integers(console: tuple[TestClient, World], params: dict[str, str],
                                              shown: str | None) -> None:
    client, w = console
    r = client.get("/steward/batches", params=params, headers=w.auth("admin"))
    assert r.status_code == 200
    if shown is None:
        assert 'id="flash"' not in r.text and "evil.example" not in r.text
    else:
        assert shown in r.text


def _follow(client: TestClient, r: object, headers: dict[str, str]) -> str:
    location = r.headers["location"]  # type: ignore[attr-defined]
    assert parse_qs(urlsplit(location).query)["msg"][0] in MESSAGES
    return client.get(location, headers=headers).text


def test_console_redirects_carry_codes(console: tuple[TestClient, World]) -> None:
    client, w = console
    r = client.get("/steward", follow_redirects=False)
    assert r.status_code == 303 and "msg=relogin" in r.headers["location"]
    assert MESSAGES["relogin"] in _follow(client, r, {})

    h = w.auth("admin")
    rid = w.tax_bad[0]
    r = client.post(f"/steward/records/{rid}/reject", data={"version": str(w.staged(rid).version), "reason": "重复"},
                    headers=h, follow_redirects=False)
    assert r.status_code == 303
    assert MESSAGES["rejected"] in _follow(client, r, h)

    r = client.post("/steward/logout", headers=h, follow_redirects=False)
    assert r.status_code == 303 and "msg=logged_out" in r.headers["location"]


def test_every_message_renders_from_its_own_url() -> None:
    for code, template in MESSAGES.items():
        numbers = {name: 7 for name in ("change", "done", "refused", "awaiting", "batch") if f"{{{name}}}" in template}
        url = flash_url("/steward", code, **numbers)
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert flash_message(params) == template.format(**numbers)
    with pytest.raises(ValueError):
        flash_url("/steward", "batch_released")
    with pytest.raises(KeyError):
        flash_url("/steward", "free text")
