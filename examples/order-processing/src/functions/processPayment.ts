import { Order, OrderStatus } from '../types/order';
import { ServiceError } from '../errors';
import { PaymentService, TransientPaymentError } from '../services/payment';

const isTransientError = (error: unknown): boolean => error instanceof TransientPaymentError;

export const handler = async (event: Order): Promise<Order> => {
  const paymentService = new PaymentService();

  let paymentId: string;
  try {
    paymentId = await paymentService.processPayment({
      amount: event.totalAmount,
      customerId: event.customerId,
      orderId: event.orderId,
      simulatedFailures: event.simulate?.paymentFailures,
    });
  } catch (error) {
    if (isTransientError(error)) {
      // Step Functions retries ServiceError as the state's Retry says.
      throw new ServiceError((error as Error).message);
    }
    // Permanent failure
    throw new Error('Payment failed');
  }

  return {
    ...event,
    status: OrderStatus.PAID,
    paymentId,
  };
};
