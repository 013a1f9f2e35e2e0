export interface Order {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  totalAmount: number;
  status: OrderStatus;
  paymentId?: string;
  shipmentId?: string;
  /** Test hook: the payment service fails this many times for the order before it succeeds. */
  simulate?: { paymentFailures?: number };
}

export interface OrderItem {
  productId: string;
  quantity: number;
  price: number;
}

export enum OrderStatus {
  PENDING = 'PENDING',
  VALIDATED = 'VALIDATED',
  PAID = 'PAID',
  FULFILLED = 'FULFILLED',
  FAILED = 'FAILED',
}

export interface Refund {
  orderId: string;
  refunded: string;
  amount: number;
}
