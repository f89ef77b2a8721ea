"""One writer per department: each derives its source files from the shared population."""

from __future__ import annotations

from collections.abc import Callable

from credithub.sandbox.context import GenContext
from credithub.sandbox.departments import (
    courts,
    customs,
    development_reform,
    emergency_management,
    environment,
    food_drug,
    housing_construction,
    housing_provident_fund,
    market_regulation,
    planning_land,
    public_security,
    quality_supervision,
    science_innovation,
    social_security,
    statistics,
    tax,
    transport,
)

WRITERS: dict[str, Callable[[GenContext], None]] = {
    "market_regulation": market_regulation.write,
    "tax": tax.write,
    "quality_supervision": quality_supervision.write,
    "customs": customs.write,
    "courts": courts.write,
    "social_security": social_security.write,
    "environment": environment.write,
    "housing_construction": housing_construction.write,
    "planning_land": planning_land.write,
    "transport": transport.write,
    "emergency_management": emergency_management.write,
    "food_drug": food_drug.write,
    "public_security": public_security.write,
    "statistics": statistics.write,
    "housing_provident_fund": housing_provident_fund.write,
    "development_reform": development_reform.write,
    "science_innovation": science_innovation.write,
}
DEPARTMENTS: tuple[str, ...] = tuple(WRITERS)
