import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface PaymentRequest {
  amount: number;
  customerId: string;
  orderId: string;
  /** Fail this many attempts for the order before succeeding. */
  simulatedFailures?: number;
}

/** The payment provider is unavailable for now; trying again later may work. */
export class TransientPaymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientPaymentError';
  }
}

/**
 * A stand-in payment provider. Simulated failures are counted per order in a file in the
 * system's temporary folder, so they hold whichever process serves the retry.
 */
export class PaymentService {
  async processPayment(request: PaymentRequest): Promise<string> {
    const failures = request.simulatedFailures ?? 0;
    if (failures > 0) {
      const file = path.join(os.tmpdir(), `baton-order-${request.orderId}.attempts`);
      const attempts = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) + 1 : 1;
      fs.writeFileSync(file, String(attempts));
      if (attempts <= failures) {
        throw new TransientPaymentError(`Temporary payment service error (attempt ${attempts})`);
      }
      fs.rmSync(file, { force: true });
    }
    return `pay-${request.orderId}`;
  }
}
