"""Proportions with Wilson 95% intervals, and the means of before-and-after self-ratings."""

from __future__ import annotations

from math import sqrt

Z95 = 1.959963984540054


def wilson(count: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for count successes out of n (None when n is 0).

    Chosen over the usual 'p ± 1.96 × standard error' because it stays inside 0–100% and behaves
    at the small numbers and the 100% figures evaluation reports are full of.
    """
    if n <= 0:
        return None
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Floating-point rounding must never put the estimate itself outside its interval.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def proportion(count: int, n: int, expected: int | None = None) -> dict:
    """count of n as a figure: percent (0–1), Wilson interval, and the response rate when expected is known."""
    interval = wilson(count, n)
    return {
        "count": count,
        "n": n,
        "percent": count / n if n else None,
        "low": interval[0] if interval else None,
        "high": interval[1] if interval else None,
        "expected": expected,
        "response_rate": (n / expected) if expected else None,
    }


def mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def percent_text(value: float | None) -> str:
    """0.794 → '79%'."""
    return "" if value is None else f"{value * 100:.0f}%"
