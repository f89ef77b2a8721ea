"""市场监督管理局: the business register (the master record of every company) and its lists, from SQL tables."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_float, text
from connectors.sdk.config import SqlSourceConfig
from connectors.sdk.streams import DeclarativeConnector, SqlStream
from credithub.domain import CanonicalRecord

DEPT = "market_regulation"


class Register(SqlStream):
    name = "register"
    title = "企业登记信息"
    table = "qy_djxx"
    cursor_field = "updated_at"
    fields = {
        "ID": "record_id",
        "TYSHXYDM": "uscc",
        "ZCH": "reg_no",
        "QYMC": "name",
        "CYM": "former_names",
        "FDDBR": "legal_rep",
        "ZCZB": "registered_capital",
        "CLRQ": "established",
        "ZS": "address",
        "DJZT": "status",
        "JYFW": "business_scope",
        "HYML": "industry",
        "SSQX": "district",
        "GXSJ": "updated_at",
    }
    required_columns = ("ID", "QYMC", "DJZT", "GXSJ")
    identifier_fields = {"uscc": "uscc", "reg_no": "reg_no"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        status = text(staged.get("status"))
        events = []
        if status in {"吊销", "注销", "迁出"}:
            when = event_date(staged.get("updated_at"), staged.get("established"))
            events.append(
                event(
                    "register_status",
                    when,
                    f"登记状态：{status}",
                    "serious" if status == "吊销" else "neutral",
                    status=status,
                )
            )
        former = [n.strip() for n in re.split(r"[；;]", text(staged.get("former_names")) or "") if n.strip()]
        return canonical(
            DEPT,
            self.name,
            staged,
            events=events,
            former_names=former,
            is_register=True,
            uscc=staged.get("uscc"),
            reg_no=staged.get("reg_no"),
            legal_rep=staged.get("legal_rep"),
            registered_capital=parse_float(staged.get("registered_capital")),
            established=parse_date(staged.get("established")),
            address=staged.get("address"),
            status=status,
            business_scope=staged.get("business_scope"),
            industry=staged.get("industry"),
            district=staged.get("district"),
        )


class AbnormalOperations(SqlStream):
    name = "abnormal_operations"
    title = "经营异常名录"
    table = "jyyc_ml"
    cursor_field = "updated_at"
    fields = {
        "ID": "record_id",
        "TYSHXYDM": "uscc",
        "QYMC": "name",
        "LRYY": "reason",
        "LRRQ": "listed_date",
        "ZCJG": "authority",
        "YCYY": "removal_reason",
        "YCRQ": "removed_date",
        "GXSJ": "updated_at",
    }
    required_columns = ("ID", "QYMC", "LRRQ", "GXSJ")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        removed = parse_date(staged.get("removed_date"))
        title = "列入经营异常名录" + ("（已移出）" if removed else "")
        ev = event(
            "abnormal_operations",
            event_date(staged.get("listed_date"), staged.get("updated_at")),
            title,
            "general",
            end_date=removed,
            reason=text(staged.get("reason")),
            authority=text(staged.get("authority")),
            removal_reason=text(staged.get("removal_reason")),
            status="removed" if removed else "listed",
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class SeriousDishonest(SqlStream):
    name = "serious_dishonest"
    title = "严重违法失信名单"
    table = "yzwfsx_md"
    cursor_field = "updated_at"
    fields = {
        "ID": "record_id",
        "TYSHXYDM": "uscc",
        "QYMC": "name",
        "LRYY": "reason",
        "LRRQ": "listed_date",
        "ZCJG": "authority",
        "GXSJ": "updated_at",
    }
    required_columns = ("ID", "QYMC", "LRRQ", "GXSJ")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "serious_dishonest",
            event_date(staged.get("listed_date"), staged.get("updated_at")),
            "列入严重违法失信名单",
            "serious",
            reason=text(staged.get("reason")),
            authority=text(staged.get("authority")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Penalties(SqlStream):
    name = "penalties"
    title = "行政处罚"
    table = "xzcf_xx"
    cursor_field = "updated_at"
    fields = {
        "ID": "record_id",
        "TYSHXYDM": "uscc",
        "QYMC": "name",
        "CFJDSWH": "case_no",
        "WFXW": "violation",
        "CFNR": "penalty",
        "FKJE": "amount",
        "CFRQ": "decision_date",
        "GSRQ": "publication_date",
        "GXSJ": "updated_at",
    }
    required_columns = ("ID", "QYMC", "CFJDSWH", "CFRQ", "GXSJ")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        amount = parse_float(staged.get("amount"))
        ev = event(
            "administrative_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=text(staged.get("case_no")),
            violation=text(staged.get("violation")),
            penalty=text(staged.get("penalty")),
            amount=None if amount is None else amount * 10_000,
            authority="深圳市市场监督管理局",
            published=text(staged.get("publication_date")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class MarketRegulation(DeclarativeConnector):
    name = DEPT
    title = "市场监督管理局"
    config_model = SqlSourceConfig
    streams = (Register, AbnormalOperations, SeriousDishonest, Penalties)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=1)
