from app.core import summarize


def test_summarize_empty():
    assert summarize([]) == {"count": 0, "sum": 0.0}
