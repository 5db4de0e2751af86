"""Shared code: the same on every runtime and architecture."""
import fastmath


def summarize(values):
    values = [float(v) for v in values]
    return {"count": len(values), "sum": fastmath.total(values)}
