// An item of the `task-tokens` table: the job CreateJob started, the task token the workflow
// waits on, and where the Poller is with it.
//
// PENDING: the job runs; the Poller checks it on each scan. COMPLETING: the Poller decided the
// callback (`callback`) and recorded that before sending it. SUCCEEDED or FAILED: it was sent.
// CLOSED: the task had already ended when the Poller called (`closedBecause`).
export type TokenStatus = 'PENDING' | 'COMPLETING' | 'SUCCEEDED' | 'FAILED' | 'CLOSED';

export type Callback =
  | { success: { jobId: string; status: 'COMPLETED'; polls: number; result: unknown } }
  | { failure: { error: string; cause: string } };

export interface TaskTokenItem {
  jobId: string;
  taskToken: string;
  executionId?: string;
  taskAttempt: number;
  status: TokenStatus;
  attemptCount: number;
  callback?: Callback;
  closedBecause?: string;
  createdAt: string;
}
