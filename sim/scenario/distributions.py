"""Input distributions: scenario specs (pydantic) and vectorised samplers.

Each spec is written in the scenario with its parameters in natural units
(`{dist: lognormal, mean: 6min, cv: 0.9}`); `Sampler` turns it into draws in seconds.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .errors import input_file_problem
from .spreadsheet_safe import header_names
from .units import parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Exponential(_Spec):
    dist: Literal["exponential"]
    mean: Duration = Field(gt=0)


class Lognormal(_Spec):
    dist: Literal["lognormal"]
    mean: Duration = Field(gt=0)
    cv: float = Field(gt=0, le=100)


class Gamma(_Spec):
    dist: Literal["gamma"]
    mean: Duration = Field(gt=0)
    cv: float = Field(gt=0, le=100)


class Deterministic(_Spec):
    dist: Literal["deterministic"]
    value: Duration = Field(ge=0)


class Uniform(_Spec):
    dist: Literal["uniform"]
    low: Duration = Field(ge=0)
    high: Duration = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self


class Empirical(_Spec):
    """Resampling of observed durations, from a list or from a CSV column."""

    dist: Literal["empirical"]
    values: list[Duration] | None = None
    file: str | None = None
    column: str | None = None
    unit: Literal["s", "min", "h"] = "s"

    @field_validator("values")
    @classmethod
    def _non_negative(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if not v:
                raise ValueError("the list of values is empty")
            if min(v) < 0:
                raise ValueError("durations must not be negative")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> Empirical:
        if (self.values is None) == (self.file is None):
            raise ValueError("give either 'values' or 'file' (with 'column')")
        if self.file is not None and not self.column:
            raise ValueError("'file' needs 'column', the CSV column holding the durations")
        return self


DistSpec = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Uniform | Empirical,
    Field(discriminator="dist"),
]


def read_csv_column(path: Path, column: str, unit_seconds: float) -> np.ndarray:
    """Read one numeric column of a CSV file, in seconds. Raises ValueError with the reason."""
    # messages name the file, the column and the line, never the file's contents: the
    # path could point at any file, and its text does not belong in a terminal or a log
    problem = input_file_problem(path)
    if problem is not None:
        raise ValueError(f"file {str(path)!r}: {problem}")
    values: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            reader.fieldnames = header_names(reader.fieldnames) if reader.fieldnames else None
            if reader.fieldnames is None or column not in reader.fieldnames:
                n = len(reader.fieldnames or [])
                raise ValueError(
                    f"column {column!r} not in {path.name} (its header has {n} column(s))"
                )
            for i, row in enumerate(reader, start=2):
                cell = (row.get(column) or "").strip()
                if not cell:
                    continue
                try:
                    x = float(cell)
                except ValueError:
                    raise ValueError(
                        f"{path.name} line {i}: column {column!r} is not a number"
                    ) from None
                if x < 0 or not math.isfinite(x):
                    raise ValueError(f"{path.name} line {i}: duration is negative, NaN or infinite")
                if x * unit_seconds > 366 * 86400:
                    raise ValueError(f"{path.name} line {i}: duration longer than a year")
                values.append(x * unit_seconds)
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not a UTF-8 text (CSV) file") from None
    except csv.Error as exc:
        raise ValueError(f"{path.name} is not a readable CSV file ({type(exc).__name__})") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path.name} ({exc.strerror})") from None
    if not values:
        raise ValueError(f"column {column!r} of {path.name} has no values")
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class Sampler:
    """A distribution ready to draw from: `kind` and parameters in seconds."""

    kind: str
    mean: float
    a: float = 0.0
    b: float = 0.0
    values: np.ndarray | None = None

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "exponential":
            return rng.exponential(self.mean, n)
        if self.kind == "lognormal":
            return rng.lognormal(self.a, self.b, n)
        if self.kind == "gamma":
            return rng.gamma(self.a, self.b, n)
        if self.kind == "deterministic":
            return np.full(n, self.mean)
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, n)
        if self.kind == "empirical":
            assert self.values is not None
            return self.values[rng.integers(0, len(self.values), n)]
        if self.kind == "none":
            return np.full(n, math.inf)
        raise AssertionError(self.kind)

    def scaled(self, c: float) -> Sampler:
        """The distribution of c * X: every time c times as long, the cv unchanged."""
        if self.kind == "none" or c == 1.0:
            return self
        if self.kind == "lognormal":
            return Sampler(self.kind, self.mean * c, self.a + math.log(c), self.b)
        if self.kind == "gamma":
            return Sampler(self.kind, self.mean * c, self.a, self.b * c)
        if self.kind == "uniform":
            return Sampler(self.kind, self.mean * c, self.a * c, self.b * c)
        values = None if self.values is None else self.values * c
        return Sampler(self.kind, self.mean * c, self.a, self.b, values)

    @property
    def is_zero(self) -> bool:
        return self.kind == "deterministic" and self.mean == 0.0


NO_PATIENCE = Sampler("none", math.inf)
ZERO = Sampler("deterministic", 0.0)


def make_sampler(spec: _Spec | None, base_dir: Path | None = None) -> Sampler:
    """Compile a spec into a Sampler; `None` means infinite (no abandonment)."""
    if spec is None:
        return NO_PATIENCE
    if isinstance(spec, Exponential):
        return Sampler("exponential", spec.mean)
    if isinstance(spec, Lognormal):
        sigma2 = math.log1p(spec.cv**2)
        return Sampler("lognormal", spec.mean, math.log(spec.mean) - sigma2 / 2, math.sqrt(sigma2))
    if isinstance(spec, Gamma):
        shape = 1.0 / spec.cv**2
        return Sampler("gamma", spec.mean, shape, spec.mean / shape)
    if isinstance(spec, Deterministic):
        return Sampler("deterministic", spec.value)
    if isinstance(spec, Uniform):
        return Sampler("uniform", (spec.low + spec.high) / 2, spec.low, spec.high)
    if isinstance(spec, Empirical):
        if spec.values is not None:
            vals = np.asarray(spec.values, dtype=np.float64)
        else:
            unit = {"s": 1.0, "min": 60.0, "h": 3600.0}[spec.unit]
            path = Path(spec.file)  # type: ignore[arg-type]
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            vals = read_csv_column(path, spec.column or "", unit)
        return Sampler("empirical", float(vals.mean()), values=vals)
    raise AssertionError(type(spec))


def draw_by_segment(
    samplers: list[Sampler], rng: np.random.Generator, segment: np.ndarray
) -> np.ndarray:
    """One draw per caller from its segment's distribution.

    When every segment uses the same family the draw is one vectorised call with
    per-caller parameters (the fast path); otherwise each segment draws its own callers.
    Deterministic values and 'no patience' consume no random numbers.
    """
    n = len(segment)
    kinds = {x.kind for x in samplers}
    if kinds <= {"deterministic", "none"}:
        return np.asarray([x.mean for x in samplers])[segment]
    if len(kinds) == 1:
        kind = samplers[0].kind
        if kind == "exponential":
            return rng.standard_exponential(n) * np.asarray([x.mean for x in samplers])[segment]
        if kind == "lognormal":
            mu = np.asarray([x.a for x in samplers])[segment]
            sigma = np.asarray([x.b for x in samplers])[segment]
            return np.exp(mu + sigma * rng.standard_normal(n))
        if kind == "uniform":
            low = np.asarray([x.a for x in samplers])[segment]
            high = np.asarray([x.b for x in samplers])[segment]
            return low + (high - low) * rng.random(n)
        if kind == "gamma":
            shape = np.asarray([x.a for x in samplers])
            scale = np.asarray([x.b for x in samplers])
            if len(set(shape.tolist())) == 1:
                return rng.standard_gamma(shape[0], n) * scale[segment]
    out = np.empty(n)
    for k, x in enumerate(samplers):
        idx = np.flatnonzero(segment == k)
        if len(idx):
            out[idx] = x.draw(rng, len(idx))
    return out
