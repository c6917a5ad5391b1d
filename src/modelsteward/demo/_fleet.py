"""A simulated fleet of machines: sensor readings and the failures they precede.

The generating process follows the shape of the AI4I 2020 predictive-maintenance data:
a machine fails when it is overstrained (torque x tool wear), overheats (small gap
between process and air temperature at low speed), lacks power or is worn out. The
scenario changes the world on given days:

* **sensor recalibration** — process-temperature sensors read 4 K high (data drift:
  the model sees a wider temperature gap than there is, and misses heat failures);
* **new machine type** ``X`` — faster machines join the fleet (covariate shift);
* **wear-induced concept drift** — worn tools fail far earlier than before, so the
  same readings now mean a higher risk.

>>> fleet = Fleet(seed=1)
>>> day = fleet.day(0, rows=500)
>>> sorted(day.features.column_names)[:3], day.labels.dtype.name
(['air_temperature_k', 'machine_type', 'pressure_bar'], 'int8')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

__all__ = ["FEATURES", "Day", "Fleet", "Scenario"]

FEATURES = [
    "machine_type",
    "air_temperature_k",
    "process_temperature_k",
    "rotation_speed_rpm",
    "torque_nm",
    "tool_wear_min",
    "vibration_mm_s",
    "pressure_bar",
]


@dataclass(frozen=True)
class Scenario:
    """On which day each change of the world begins."""

    recalibration_day: int = 4
    new_machine_type_day: int = 4
    concept_drift_day: int = 10
    temperature_offset_k: float = 4.0


@dataclass
class Day:
    """One day of traffic: the features the model sees and the failures that follow."""

    index: int
    features: pa.Table
    labels: np.ndarray
    events: list[str] = field(default_factory=list)


class Fleet:
    """Generate days of sensor readings under a :class:`Scenario`."""

    def __init__(self, scenario: Scenario | None = None, *, seed: int = 0) -> None:
        self.scenario = scenario or Scenario()
        self.seed = seed

    def day(self, index: int, *, rows: int) -> Day:
        """Readings and labels of day ``index`` (deterministic for a seed and day)."""
        rng = np.random.default_rng([self.seed, index])
        scenario = self.scenario
        events = []
        new_type = index >= scenario.new_machine_type_day
        shares = [0.5, 0.3, 0.2, 0.0] if not new_type else [0.35, 0.25, 0.15, 0.25]
        machine_type = rng.choice(np.array(["L", "M", "H", "X"]), rows, p=shares)
        air = rng.normal(300.0, 2.0, rows)
        process = air + 10.0 + rng.normal(0.0, 1.0, rows)
        speed = rng.normal(1500.0, 150.0, rows) + np.where(machine_type == "X", 400.0, 0.0)
        torque = np.clip(rng.normal(40.0, 10.0, rows), 3.0, None)
        wear = rng.uniform(0.0, 240.0, rows)
        vibration = rng.gamma(4.0, 0.5, rows) * (1.0 + wear / 400.0)
        pressure = rng.normal(6.0, 0.3, rows)
        labels = self._failures(rng, machine_type, air, process, speed, torque, wear, index)
        reported = process.copy()
        if index >= scenario.recalibration_day:
            reported += scenario.temperature_offset_k
            events.append("sensor_recalibration")
        if new_type:
            events.append("new_machine_type")
        if index >= scenario.concept_drift_day:
            events.append("wear_concept_drift")
        table = pa.table(
            {
                "machine_type": machine_type,
                "air_temperature_k": air,
                "process_temperature_k": reported,
                "rotation_speed_rpm": speed,
                "torque_nm": torque,
                "tool_wear_min": wear,
                "vibration_mm_s": vibration,
                "pressure_bar": pressure,
            }
        )
        return Day(index=index, features=table, labels=labels, events=events)

    def _failures(
        self,
        rng: np.random.Generator,
        machine_type: np.ndarray,
        air: np.ndarray,
        process: np.ndarray,
        speed: np.ndarray,
        torque: np.ndarray,
        wear: np.ndarray,
        index: int,
    ) -> np.ndarray:
        strain_limit = np.select(
            [machine_type == "L", machine_type == "M", machine_type == "H"],
            [11_000.0, 12_000.0, 13_000.0],
            default=12_500.0,
        )
        wear_limit = 200.0
        if index >= self.scenario.concept_drift_day:
            strain_limit = strain_limit * 0.7
            wear_limit = 150.0
        overstrain = torque * wear > strain_limit
        heat = (process - air < 9.5) & (speed < 1450.0)
        power = torque * speed * 2 * np.pi / 60.0
        power_failure = (power < 3500.0) | (power > 9000.0)
        worn = wear > wear_limit
        failing = overstrain | heat | power_failure | (worn & (rng.random(wear.size) < 0.6))
        noise = rng.random(wear.size) < 0.01
        labels: np.ndarray = (failing ^ noise).astype(np.int8)
        return labels
