"""The city's 17 department connectors, one module per department; `BUILTIN` lists their classes."""

from __future__ import annotations

from connectors.departments.courts import Courts
from connectors.departments.customs import Customs
from connectors.departments.development_reform import DevelopmentReform
from connectors.departments.emergency_management import EmergencyManagement
from connectors.departments.environment import Environment
from connectors.departments.food_drug import FoodDrug
from connectors.departments.housing_construction import HousingConstruction
from connectors.departments.housing_provident_fund import HousingProvidentFund
from connectors.departments.market_regulation import MarketRegulation
from connectors.departments.planning_land import PlanningLand
from connectors.departments.public_security import PublicSecurity
from connectors.departments.quality_supervision import QualitySupervision
from connectors.departments.science_innovation import ScienceInnovation
from connectors.departments.social_security import SocialSecurity
from connectors.departments.statistics import Statistics
from connectors.departments.tax import Tax
from connectors.departments.transport import Transport
from connectors.sdk.base import Connector

BUILTIN: tuple[type[Connector], ...] = (
    MarketRegulation,
    Tax,
    QualitySupervision,
    Customs,
    Courts,
    SocialSecurity,
    Environment,
    HousingConstruction,
    PlanningLand,
    Transport,
    EmergencyManagement,
    FoodDrug,
    PublicSecurity,
    Statistics,
    HousingProvidentFund,
    DevelopmentReform,
    ScienceInnovation,
)
