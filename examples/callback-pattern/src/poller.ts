// Poller: the seed's scheduled function. Each invocation scans the `task-tokens` table once:
//
// * PENDING: the job's status from SimulatedApi (CHECK_STATUS, a Lambda Invoke). Ended (or
//   still running after MAX_POLL_ATTEMPTS polls, default 20): the callback is decided,
//   recorded as COMPLETING, then sent (SendTaskSuccess with the job's result, or
//   SendTaskFailure with its error). Still running: SendTaskHeartbeat, so that the task's
//   HeartbeatSeconds does not expire while the job is alive.
// * COMPLETING: a callback decided but perhaps not delivered (the last scan stopped in
//   between) is sent again. Completion is idempotent: a token whose task has already ended
//   answers TaskTimedOut, which means "already done" here, and the item is CLOSED.
//
// It answers what it did, one line per job, and logs the same lines.
import {
  SFNClient,
  SFNServiceException,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { callApi } from './api';
import type { JobStatus } from './simulated-api';
import { putItem, scanItems } from './store';
import type { Callback, TaskTokenItem } from './tokens';

// As for the Lambda client: the endpoint, credentials and region come from the environment.
const sfn = new SFNClient({});

// Answers that mean the task no longer waits for this token: it has ended (completed by an
// earlier callback, timed out, failed) or was never there.
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

function gone(e: unknown): string | undefined {
  return e instanceof SFNServiceException && GONE.has(e.name) ? e.name : undefined;
}

function decide(item: TaskTokenItem, job: JobStatus, maxAttempts: number): Callback | undefined {
  switch (job.status) {
    case 'COMPLETED':
      return {
        success: { jobId: item.jobId, status: 'COMPLETED', polls: job.pollCount, result: job.result },
      };
    case 'FAILED':
      return {
        failure: { error: job.error ?? 'JobFailed', cause: job.cause ?? `job ${item.jobId} failed` },
      };
    default:
      if (item.attemptCount >= maxAttempts) {
        return {
          failure: {
            error: 'JobMaxAttemptsExceeded',
            cause: `job ${item.jobId} still running after ${item.attemptCount} polls`,
          },
        };
      }
      return undefined;
  }
}

export const handler = async (): Promise<{ scanned: number; actions: string[] }> => {
  const maxAttempts = Number(process.env.MAX_POLL_ATTEMPTS ?? 20);
  const actions: string[] = [];
  const log = (item: TaskTokenItem, message: string) => {
    const line = `${item.jobId}: ${message}`;
    console.log(line);
    actions.push(line);
  };
  const close = (item: TaskTokenItem, code: string, why: string) => {
    item.status = 'CLOSED';
    item.closedBecause = code;
    log(item, `${code}: ${why}; closed`);
  };

  const deliver = async (item: TaskTokenItem) => {
    const callback = item.callback!;
    try {
      if ('success' in callback) {
        await sfn.send(
          new SendTaskSuccessCommand({
            taskToken: item.taskToken,
            output: JSON.stringify(callback.success),
          }),
        );
        item.status = 'SUCCEEDED';
        log(item, 'SendTaskSuccess');
      } else {
        await sfn.send(new SendTaskFailureCommand({ taskToken: item.taskToken, ...callback.failure }));
        item.status = 'FAILED';
        log(item, `SendTaskFailure ${callback.failure.error}`);
      }
    } catch (e) {
      const code = gone(e);
      if (!code) throw e;
      close(item, code, 'the task has already ended');
    }
  };

  const items = scanItems<TaskTokenItem>('task-tokens');
  for (const item of items) {
    try {
      if (item.status === 'PENDING') {
        const job = await callApi({ action: 'CHECK_STATUS', jobId: item.jobId });
        item.attemptCount += 1;
        item.callback = decide(item, job, maxAttempts);
        if (item.callback) {
          // Decide, record the decision, then send: if the send is lost, the next scan finds
          // COMPLETING and sends it again.
          item.status = 'COMPLETING';
          putItem('task-tokens', item.jobId, item);
          await deliver(item);
        } else {
          try {
            await sfn.send(new SendTaskHeartbeatCommand({ taskToken: item.taskToken }));
            log(item, `running (poll ${item.attemptCount}), SendTaskHeartbeat`);
          } catch (e) {
            const code = gone(e);
            if (!code) throw e;
            close(item, code, 'the workflow stopped waiting (timed out)');
          }
        }
      } else if (item.status === 'COMPLETING') {
        await deliver(item);
      } else {
        continue;
      }
    } catch (e) {
      // Baton unreachable or busy: the item stays as it is, and the next scan tries again.
      log(item, `not reported this time: ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
    }
    putItem('task-tokens', item.jobId, item);
  }
  return { scanned: items.length, actions };
};
