import { Order, OrderItem, OrderStatus } from '../types/order';
import { ValidationError } from '../errors';

// Every item needs a product, a positive quantity and a price; the total must match the items.
const validateOrderItems = async (order: Order): Promise<string | undefined> => {
  const items: OrderItem[] = order.items ?? [];
  if (!order.orderId || items.length === 0) {
    return 'an order needs an orderId and items';
  }
  let total = 0;
  for (const item of items) {
    if (!item.productId || !((item.quantity ?? 0) > 0) || !((item.price ?? -1) >= 0)) {
      return `invalid item ${JSON.stringify(item)}`;
    }
    total += item.quantity * item.price;
  }
  if (Math.abs(total - (order.totalAmount ?? 0)) > 0.005) {
    return `totalAmount ${order.totalAmount} does not match the items (${total})`;
  }
  return undefined;
};

export const handler = async (event: Order): Promise<Order> => {
  console.log('Validating order:', event.orderId);

  const problem = await validateOrderItems(event);
  if (problem) {
    throw new ValidationError(`Order validation failed: ${problem}`);
  }

  return {
    ...event,
    status: OrderStatus.VALIDATED,
  };
};
