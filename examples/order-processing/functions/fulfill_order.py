"""FulfillOrder: reserves stock and creates a shipment. Products whose id starts with
"SOLDOUT" are out of stock: OutOfStockError, which the workflow compensates."""


class OutOfStockError(Exception):
    pass


def handler(event, context):
    missing = [i["productId"] for i in event["items"] if i["productId"].startswith("SOLDOUT")]
    if missing:
        raise OutOfStockError("Out of stock: " + ", ".join(missing))
    return {**event, "status": "FULFILLED", "shipmentId": "ship-" + event["orderId"]}
