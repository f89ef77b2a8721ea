"""The city's department connectors, one module per department; `BUILTIN` lists their classes."""

from __future__ import annotations

from connectors.departments.market_regulation import MarketRegulation
from connectors.departments.quality_supervision import QualitySupervision
from connectors.departments.tax import Tax
from connectors.sdk.base import Connector

BUILTIN: tuple[type[Connector], ...] = (
    MarketRegulation,
    Tax,
    QualitySupervision,
)
