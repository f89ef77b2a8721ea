"""Helpers that build valid codes, so tests state the company and not the check arithmetic."""

from __future__ import annotations

import pytest
from stdnum.iso7064 import mod_11_10

from entity_resolution.identifiers import org_code_check_char, uscc_check_char
from entity_resolution.matcher import MatchRecord


def org(body: str) -> str:
    return body + org_code_check_char(body)


def uscc(body: str, region: str = "440300") -> str:
    """A valid USCC embedding the valid organization code of `body` (8 chars)."""
    head = "91" + region + org(body)
    return head + uscc_check_char(head)


def reg_no(body14: str) -> str:
    return body14 + mod_11_10.calc_check_digit(body14)


def rec(key: str, name: str | None = None, **kw: object) -> MatchRecord:
    return MatchRecord(key=key, name=name, department=key.split("/", 1)[0], **kw)  # type: ignore[arg-type]


@pytest.fixture
def codes() -> dict[str, str]:
    return {
        "A": uscc("MA5ABC12"), "B": uscc("MA5XYW34"), "C": uscc("12345678", "440305"),
        "A_org": org("MA5ABC12"), "C_org": org("12345678"), "C_reg": reg_no("44030510123456"),
    }
