"""Console notices after a redirect (`?msg=CODE`): only fixed sentences, never text from the URL.

A link like /steward/login?msg=系统升级，请把令牌发到… would otherwise print an attacker's sentence
inside the official console. The URL carries a code from MESSAGES and, where a sentence names a
record, batch or count, integer parameters; an unknown code or a non-integer parameter shows nothing.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from urllib.parse import urlencode

MESSAGES: dict[str, str] = {
    "relogin": "请重新登录：令牌无效、已过期或已被吊销。",
    "logged_out": "您已退出登录。",
    "fixed": "已修正并通过校验，记录已放行。",
    "fix_pending": "身份字段的修改已提交（待审批 #{change}），须由另一名治理员审批后才会放行。",
    "rejected": "记录已驳回。",
    "released_now": "已立即发布：该记录所属企业的档案已更新。",
    "bulk_fixed": "已修正并放行 {done} 条；未处理 {refused} 条。",
    "bulk_fixed_pending": "已修正并放行 {done} 条；未处理 {refused} 条；{awaiting} 条身份字段修改待另一名治理员审批。",
    "bulk_rejected": "已驳回 {done} 条；未处理 {refused} 条。",
    "change_approved": "已批准修改 #{change}，记录已放行。",
    "change_rejected": "已驳回修改 #{change}，记录仍在隔离中。",
    "batch_released": "批次 {batch} 已放行。",
    "batch_rejected": "批次 {batch} 已驳回。",
}
_MAX_DIGITS = 19  # ids and counts fit 64 bits


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def flash_url(path: str, code: str, **numbers: int) -> str:
    """`path?msg=code&...`; a typo in a code or a missing number fails here, in the console's own tests."""
    template = MESSAGES[code]
    if set(_fields(template)) != set(numbers):
        raise ValueError(f"message {code} takes {_fields(template)}, got {sorted(numbers)}")
    return f"{path}?{urlencode({'msg': code, **{k: int(v) for k, v in numbers.items()}})}"


def flash_message(params: Mapping[str, str]) -> str | None:
    """The sentence for `?msg=`, or None when the code or a parameter is not one we wrote."""
    template = MESSAGES.get(params.get("msg") or "")
    if template is None:
        return None
    values: dict[str, int] = {}
    for name in _fields(template):
        raw = params.get(name) or ""
        if not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_DIGITS):
            return None
        values[name] = int(raw)
    return template.format(**values)
