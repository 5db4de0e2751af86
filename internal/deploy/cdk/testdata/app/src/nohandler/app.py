# The function's handler is missing.handler: there is no missing.py.
def handler(event, context):
    return {"fn": "nohandler"}
