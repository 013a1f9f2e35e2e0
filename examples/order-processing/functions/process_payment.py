"""ProcessPayment: charges the order. `simulate.paymentFailures: N` makes the payment service
fail with ServiceError (a transient error the workflow retries) on the first N attempts for this
order, counted in a file in the system's temporary folder."""
import os
import tempfile


class ServiceError(Exception):
    pass


def handler(event, context):
    failures = (event.get("simulate") or {}).get("paymentFailures", 0)
    if failures:
        path = os.path.join(tempfile.gettempdir(), "baton-order-%s.attempts" % event["orderId"])
        attempts = int(open(path).read()) + 1 if os.path.exists(path) else 1
        with open(path, "w") as f:
            f.write(str(attempts))
        if attempts <= failures:
            raise ServiceError("Temporary payment service error (attempt %d)" % attempts)
        os.remove(path)
    return {**event, "status": "PAID", "paymentId": "pay-" + event["orderId"]}
