// CreateJob: the workflow's `.waitForTaskToken` Task. It starts the external job through
// SimulatedApi (a Lambda Invoke with the AWS SDK) and saves the task token with the job in the
// `task-tokens` table, then returns at once: the workflow waits for the token, not for this
// result.
//
// The event is the state's Payload: `taskToken` ($$.Task.Token), `executionId`, `attempt`
// ($$.State.RetryCount) and `job` (the execution's input: `jobId` and `simulate`). Each task
// attempt is a new job, `<jobId>-<attempt>`.
import { callApi } from './api';
import type { Simulate } from './simulated-api';
import { checkKey, putItem } from './store';
import type { TaskTokenItem } from './tokens';

export interface CreateJobEvent {
  taskToken: string;
  executionId?: string;
  attempt?: number;
  job?: { jobId?: unknown; simulate?: Simulate };
}

export const handler = async (event: CreateJobEvent): Promise<{ jobId: string; status: string }> => {
  // The job id comes from the execution's input, which whoever may start an execution writes.
  const requested = checkKey(event.job?.jobId, 'jobId', 64);
  const attempt = Number(event.attempt ?? 0) + 1;
  const jobId = `${requested}-${attempt}`;
  const created = await callApi({
    action: 'CREATE_JOB',
    jobId,
    attempt,
    simulate: event.job?.simulate ?? {},
  });
  const item: TaskTokenItem = {
    jobId,
    taskToken: event.taskToken,
    executionId: event.executionId,
    taskAttempt: attempt,
    status: 'PENDING',
    attemptCount: 0,
    createdAt: new Date().toISOString(),
  };
  putItem('task-tokens', jobId, item);
  console.log(`job ${jobId}: ${created.status}, task token saved`);
  return { jobId, status: created.status };
};
