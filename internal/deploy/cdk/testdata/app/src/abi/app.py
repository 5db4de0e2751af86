import planted._speedups  # from AbiLayer


def handler(event, context):
    return {"fn": "abi"}
