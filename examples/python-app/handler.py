"""Lambda entry point: handler.handler."""
from app.core import summarize


def handler(event, context):
    return summarize(event.get("values", []))
