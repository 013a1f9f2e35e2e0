// Lambda's Node.js runtime reports a thrown error's `name` as its errorType, which is what a
// state's Retry and Catch match: each class sets its name.

/** The order is invalid: not worth retrying (caught, ends in OrderFailed). */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** A transient failure of a service the function calls (retried with back-off). */
export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Some items are out of stock (caught: the payment is refunded). */
export class OutOfStockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfStockError';
  }
}
