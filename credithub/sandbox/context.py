"""State shared while writing one sandbox: the random stream, the population, truth and counts."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from credithub.sandbox import faults
from credithub.sandbox.population import AS_OF, Company
from credithub.sandbox.store import Chosen, Population, Spool
from credithub.sandbox.words import REGION_PREFIX


# Slotted: a city-sized sandbox remembers hundreds of thousands of these.
@dataclass(frozen=True, slots=True)
class Penalty:
    company_id: str
    case_no: str
    authority: str
    decided: dt.date


@dataclass(frozen=True, slots=True)
class Honour:
    company_id: str
    list_name: str
    issuer: str
    since: dt.date


@dataclass
class GenContext:
    rng: random.Random
    companies: Population
    out_dir: Path
    fault_rate: float
    truth: IO[str] | None = None
    """Where ground-truth lines go as records are written (ground_truth.jsonl, or a part of it)."""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    today: dt.date = AS_OF
    penalties: list[Penalty] = field(default_factory=list)
    """Penalty decisions written so far, so credit-repair decisions can name real ones."""
    outsiders: Sequence[Company] = ()
    """Companies from other cities some departments mention (not in the register)."""
    honours: list[Honour] = field(default_factory=list)
    """Ratings that put a company on the red list (tax A, customs AEO), for development_reform."""

    def dept_dir(self, department: str) -> Path:
        path = self.out_dir / department
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add_file(self, department: str, path: Path) -> None:
        rel = str(path.relative_to(self.out_dir))
        if rel not in self.files.setdefault(department, []):
            self.files[department].append(rel)

    def faulty(self, factor: float = 1.0) -> bool:
        return self.rng.random() < self.fault_rate * factor

    def sample(self, share: float, tag: str | None = None, *, boost: float = 3.0, minimum: int = 4) -> Chosen:
        """Companies a department has records about; those carrying `tag` are `boost` times as likely.

        At least `minimum` companies, so even a small sandbox has something in every stream. The
        companies are parsed one at a time as the department walks through them.
        """
        pop = self.companies
        chance = min(share * boost, 0.95) if tag else min(share, 0.95)
        plain = min(share, 0.95)
        draw = self.rng.random
        out = [i for i in range(len(pop)) if draw() < (chance if tag and pop.has_tag(i, tag) else plain)]
        if len(out) < minimum:
            chosen = set(out)
            rest = [i for i in range(len(pop)) if i not in chosen]
            while len(out) < minimum and rest:
                out.append(rest.pop(self.rng.randrange(len(rest))))
        # Ordered by company id as text (C100000 sorts before C10001), as the departments always listed them.
        out.sort(key=pop.company_id)
        return Chosen(pop, out)

    def spool(self) -> Spool:
        """A list for rows to be counted, split or sorted before writing: on disk once it is large."""
        return Spool(tmp_dir=self.out_dir)

    def company(self, company_id: str) -> Company | None:
        """The population's company with this id (None for outside companies and unknown ids)."""
        i = self.companies.position(company_id)
        return None if i is None else self.companies[i]

    def name(self, c: Company, variant_rate: float = 0.25) -> str:
        """The name as this department writes it: usually right, sometimes a known variant."""
        if c.city != REGION_PREFIX:
            return c.name
        if self.rng.random() < variant_rate:
            return faults.name_variant(self.rng, c)
        if c.former_names and self.rng.random() < 0.15:
            return c.former_names[0]  # the department never heard of the rename
        return c.name

    def ident(self, value: str | None, factor: float = 1.0) -> str | None:
        if value is None:
            return None
        if self.faulty(factor * 1.5):
            return faults.id_variant(self.rng, value)
        return value

    def date_between(self, start: dt.date, end: dt.date | None = None) -> dt.date:
        end = min(end or self.today, self.today)
        if end <= start:
            return end
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def event_date(self, c: Company, earliest: dt.date = dt.date(2021, 1, 1)) -> dt.date:
        return self.date_between(max(earliest, c.established))

    def updated_at(self, after: dt.date) -> str:
        day = self.date_between(after, min(after + dt.timedelta(days=20), self.today))
        secs = self.rng.randrange(8 * 3600, 19 * 3600)
        return f"{day.isoformat()}T{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"

    def stamp(self) -> str:
        """A change time on `today` (after everything already published)."""
        return self.updated_at(self.today)

    def date_text(self, d: dt.date, factor: float = 1.0) -> str:
        return faults.bad_date(self.rng, d) if self.faulty(factor * 0.5) else d.isoformat()

    def date_cell(self, d: dt.date, factor: float = 1.0) -> dt.date | str:
        """A spreadsheet date: usually a real date cell, sometimes text a clerk typed (maybe wrongly)."""
        if self.faulty(factor * 0.5):
            return faults.bad_date(self.rng, d)
        return d if self.rng.random() < 0.7 else d.isoformat()

    def vocab(self, value: str, unknown: str, factor: float = 1.0) -> str:
        return unknown if self.faulty(factor * 0.4) else value

    def money(self, low: float, high: float, step: float = 100.0) -> float:
        return round(self.rng.uniform(low, high) / step) * step

    def penalty(self, c: Company, case_no: str, authority: str, decided: dt.date) -> None:
        self.penalties.append(Penalty(c.company_id, case_no, authority, decided))

    def honour(self, c: Company, list_name: str, issuer: str, since: dt.date) -> None:
        self.honours.append(Honour(c.company_id, list_name, issuer, since))

    def record(self, department: str, stream: str, record_id: str, company: Company | None) -> None:
        dept = self.counts.setdefault(department, {})
        dept[stream] = dept.get(stream, 0) + 1
        if company is not None and self.truth is not None:
            line = {
                "department": department,
                "stream": stream,
                "source_record_id": record_id,
                "company_id": company.company_id,
            }
            self.truth.write(json.dumps(line, ensure_ascii=False) + "\n")
