"""Issue 11, item 2: the console's state-changing requests need the page's CSRF token AND must come
from the console's own origin; SameSite cookies alone let another port of the same host post forms."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from credithub.storage.tables import StewardSession
from tests.stewardship.conftest import ORIGIN, World

EVIL = "http://testserver:8081"  # another port of the same host: same-site, so SameSite=Strict cookies go along


def _reject(w: World, sid: int, *, token: str | None, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    data = {"version": str(w.staged(sid).version), "reason": "攻击者驳回"}
    if token is not None:
        data["csrf_token"] = token
    return w.client.post(f"/steward/records/{sid}/reject", data=data, headers=headers, follow_redirects=False)


def test_cross_origin_form_post_is_refused_and_the_record_unchanged(world: World) -> None:
    w = world
    w.sign_in("tax")
    sid = w.tax_bad[0]
    before = w.staged(sid)
    # The attacker's page cannot read the token; even a leaked token does not help from another origin.
    for token in (None, w.csrf()):
        for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/evil.html"}, {"Origin": "null"},
                        {"Origin": "http://evil.example"}, {"Origin": "https://testserver"}):
            r = _reject(w, sid, token=token, headers=headers)
            assert r.status_code == 403, (token, headers, r.status_code)
    after = w.staged(sid)
    assert (after.status, after.version, after.resolution_note) == (before.status, before.version, None)
    # Bulk, batch decisions and release-now are guarded the same way.
    bulk = w.client.post("/steward/bulk", data={"ids": [str(sid)], "action": "reject", "reason": "x",
                                                "csrf_token": w.csrf()}, headers={"Origin": EVIL})
    assert bulk.status_code == 403 and w.staged(sid).status == "quarantined"
    assert w.client.post(f"/steward/batches/{w.tax_batch}/decision", data={"decision": "reject", "note": "x"},
                         headers={"Origin": EVIL}).status_code == 403


def test_missing_or_wrong_token_is_refused_even_from_the_right_origin(world: World) -> None:
    w = world
    w.sign_in("tax")
    sid = w.tax_bad[0]
    good = w.csrf()
    for token in (None, "", "0" * 64, good[:-1] + ("0" if good[-1] != "0" else "1")):
        r = _reject(w, sid, token=token, headers={"Origin": ORIGIN})
        assert r.status_code == 403, token
    # No Origin and no Referer: the origin cannot be checked, so the post is refused too.
    assert _reject(w, sid, token=good, headers={}).status_code == 403
    assert w.staged(sid).status == "quarantined"
    # A token belongs to its session: another steward's (or an old session's) token does not work.
    w.sign_in("admin")
    assert _reject(w, sid, token=good, headers={"Origin": ORIGIN}).status_code == 403
    assert w.staged(sid).status == "quarantined"


def test_the_normal_browser_flow_still_works(world: World) -> None:
    w = world
    w.sign_in("tax")
    sid = w.tax_bad[0]
    page = w.client.get(f"/steward/records/{sid}")
    forms = re.findall(r'<form method="post".*?</form>', page.text, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)  # every state-changing form carries it
    r = _reject(w, sid, token=w.csrf(f"/steward/records/{sid}"), headers={"Origin": ORIGIN})
    assert r.status_code == 303 and w.staged(sid).status == "rejected"
    # Referer is the fallback when a browser sends no Origin.
    other = w.tax_bad[1]
    r = _reject(w, other, token=w.csrf(), headers={"Referer": f"{ORIGIN}/steward/records/{other}"})
    assert r.status_code == 303 and w.staged(other).status == "rejected"
    logout = w.post_form("/steward/logout", {}, follow_redirects=False)
    assert logout.status_code == 303 and logout.headers["location"].split("?")[0] == "/steward/login"


def test_login_csrf_cannot_sign_a_victim_in_as_the_attacker(world: World) -> None:
    w = world
    w.client.get("/steward/login")  # the victim's browser has the pre-session cookie of its own form
    attacker_token = w.tokens["tax"]
    for headers, data in (
        ({"Origin": EVIL}, {"token": attacker_token}),                                # forged form, no token
        ({"Origin": ORIGIN}, {"token": attacker_token}),                              # no token at all
        ({"Origin": ORIGIN}, {"token": attacker_token, "csrf_token": "f" * 64}),      # guessed token
    ):
        r = w.client.post("/steward/login", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, (headers, data)
        assert not any(c.startswith("credithub_steward=") for c in r.headers.get_list("set-cookie"))
    # A valid login-form token from the attacker's own browser is bound to the attacker's pre-session cookie.
    from fastapi.testclient import TestClient

    attacker = TestClient(w.client.app)
    own = re.search(r'name="csrf_token" value="([^"]+)"', attacker.get("/steward/login").text).group(1)
    r = w.client.post("/steward/login", data={"token": attacker_token, "csrf_token": own},
                      headers={"Origin": EVIL}, follow_redirects=False)
    assert r.status_code == 403
    r = w.client.post("/steward/login", data={"token": attacker_token, "csrf_token": own},
                      headers={"Origin": ORIGIN}, follow_redirects=False)
    assert r.status_code == 403
    with w.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StewardSession)) == 0
    assert w.client.get("/steward", follow_redirects=False).status_code == 303  # still signed out


def test_bearer_requests_need_no_csrf_token(world: World) -> None:
    w = world
    sid = w.tax_bad[0]
    api = w.client.post(f"/api/v1/steward/records/{sid}/reject", headers=w.auth("tax"),
                        json={"version": w.staged(sid).version, "reason": "重复"})
    assert api.status_code == 200 and w.staged(sid).status == "rejected"
    # A console form posted by a script with a bearer header is authenticated by that header alone.
    other = w.tax_bad[1]
    page = w.client.post(f"/steward/records/{other}/reject", headers=w.auth("tax"),
                         data={"version": str(w.staged(other).version), "reason": "重复"}, follow_redirects=False)
    assert page.status_code == 303 and w.staged(other).status == "rejected"
