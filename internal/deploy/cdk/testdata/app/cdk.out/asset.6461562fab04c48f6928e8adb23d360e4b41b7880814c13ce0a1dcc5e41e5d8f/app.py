def handler(event, context):
    return {"fn": "ok"}
