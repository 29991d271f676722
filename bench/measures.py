"""Measuring helpers the benchmarks share: garbage-collector pauses and percentiles."""

from __future__ import annotations

import time


class GcPauses:
    """CPU seconds of the cyclic garbage collector's passes, per generation.

    A full (generation 2) pass stops the event loop for as long as it scans every tracked
    object, so its pauses are the tail of the lateness distribution.
    """

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        self.recording = False

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        elif self.recording:
            self.pauses[info["generation"]].append(time.process_time() - self._started)

    def summary(self) -> str:
        """``gen2 3 x, max 80 ms, 0.20 s; gen1 ...``."""
        parts = []
        for gen in (2, 1, 0):
            p = self.pauses[gen]
            if p:
                parts.append(f"gen{gen} {len(p)} x, max {max(p) * 1000:.0f} ms, {sum(p):.2f} s")
        return "; ".join(parts) or "none"


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``samples`` by nearest rank; 0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
