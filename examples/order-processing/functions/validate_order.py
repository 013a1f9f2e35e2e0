"""ValidateOrder: every item needs a product, a positive quantity and a price; the total must
match the items."""


class ValidationError(Exception):
    pass


def handler(event, context):
    items = event.get("items") or []
    if not event.get("orderId") or not items:
        raise ValidationError("Order validation failed: an order needs an orderId and items")
    total = 0
    for item in items:
        if not item.get("productId") or item.get("quantity", 0) <= 0 or item.get("price", -1) < 0:
            raise ValidationError("Order validation failed: invalid item %r" % (item,))
        total += item["quantity"] * item["price"]
    if abs(total - event.get("totalAmount", 0)) > 0.005:
        raise ValidationError(
            "Order validation failed: totalAmount %s does not match the items (%s)"
            % (event.get("totalAmount"), total)
        )
    return {**event, "status": "VALIDATED"}
