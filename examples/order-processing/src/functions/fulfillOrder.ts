import { Order, OrderStatus } from '../types/order';
import { OutOfStockError } from '../errors';

// Reserves stock and creates a shipment. Products whose id starts with "SOLDOUT" are out of
// stock: OutOfStockError, which the workflow compensates by refunding the payment.
export const handler = async (event: Order): Promise<Order> => {
  const missing = event.items
    .map((item) => item.productId)
    .filter((productId) => productId.startsWith('SOLDOUT'));
  if (missing.length > 0) {
    throw new OutOfStockError(`Out of stock: ${missing.join(', ')}`);
  }

  return {
    ...event,
    status: OrderStatus.FULFILLED,
    shipmentId: `ship-${event.orderId}`,
  };
};
