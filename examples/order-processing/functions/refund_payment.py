"""RefundPayment: the compensation of ProcessPayment."""


def handler(event, context):
    return {"orderId": event["orderId"], "refunded": event["paymentId"], "amount": event["totalAmount"]}
