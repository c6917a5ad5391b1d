"""Generate a predictive-maintenance reference table and a drifted current one.

Used by ``make demo``: sensors of a machine fleet (temperature, vibration, pressure,
rotation speed, tool wear, machine type). In the current period the temperature sensors
were recalibrated (+1.5 K offset), a new machine type ``X`` joined the fleet, and
vibration grew slightly noisier.

    python examples/maintenance_data.py OUT_DIR [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def fleet(rows: int, rng: np.random.Generator, *, drifted: bool) -> pa.Table:
    types = np.array(["L", "M", "H", "X"])
    shares = [0.45, 0.35, 0.2, 0.0] if not drifted else [0.4, 0.3, 0.15, 0.15]
    machine_type = rng.choice(types, rows, p=shares)
    air = rng.normal(300.0, 2.0, rows)
    process = air + 10.0 + rng.normal(0.0, 1.0, rows)
    if drifted:
        process += 1.5  # recalibrated sensor
    speed = rng.normal(1540.0, 180.0, rows) + np.where(machine_type == "X", 250.0, 0.0)
    torque = np.clip(rng.normal(40.0, 10.0, rows), 3.0, None)
    wear = rng.uniform(0.0, 250.0, rows)
    vibration = rng.gamma(4.0, 0.5 * (1.15 if drifted else 1.0), rows)
    pressure = rng.normal(6.0, 0.3, rows)
    return pa.table(
        {
            "machine_type": machine_type,
            "air_temperature_k": air,
            "process_temperature_k": process,
            "rotation_speed_rpm": speed,
            "torque_nm": torque,
            "tool_wear_min": wear,
            "vibration_mm_s": vibration,
            "pressure_bar": pressure,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(fleet(args.rows, rng, drifted=False), args.out / "reference.parquet")
    pq.write_table(fleet(args.rows, rng, drifted=True), args.out / "current.parquet")
    print(f"wrote {args.out / 'reference.parquet'} and {args.out / 'current.parquet'}")


if __name__ == "__main__":
    main()
