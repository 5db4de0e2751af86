def handler(event, context):
    return {"fn": "arm"}
