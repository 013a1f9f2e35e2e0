import { Order, Refund } from '../types/order';

// The compensation of ProcessPayment.
export const handler = async (event: Order): Promise<Refund> => ({
  orderId: event.orderId,
  refunded: event.paymentId ?? '',
  amount: event.totalAmount,
});
