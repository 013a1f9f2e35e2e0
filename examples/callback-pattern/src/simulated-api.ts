// SimulatedApi: the external job system the workflow waits for, simulated. CREATE_JOB starts a
// job, CHECK_STATUS polls it (one more poll each time). Its jobs are the `jobs` table.
//
// How a job behaves comes from the execution's input (`simulate`): it completes on poll
// `completionPolls` (default 2) with `result` (default {"records": 42}); a job whose task
// attempt is within `transientFailures` fails on its first poll with JobTransientError (the
// error the state's Retry matches); `never: true` keeps it running for ever.
import { ValidationError, checkKey, getItem, putItem } from './store';

export interface Simulate {
  completionPolls?: number;
  transientFailures?: number;
  never?: boolean;
  result?: unknown;
}

export type ApiRequest =
  | { action: 'CREATE_JOB'; jobId: string; attempt?: number; simulate?: Simulate }
  | { action: 'CHECK_STATUS'; jobId: string };

export type JobState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Job {
  jobId: string;
  status: JobState;
  pollCount: number;
  completionPolls: number;
  failsTransiently: boolean;
  never: boolean;
  result: unknown;
  error?: string;
  cause?: string;
  createdAt: string;
}

/** What CREATE_JOB and CHECK_STATUS answer. */
export interface JobStatus {
  jobId: string;
  status: JobState;
  pollCount: number;
  result?: unknown;
  error?: string;
  cause?: string;
}

export class JobNotFound extends Error {
  name = 'JobNotFound';
}

function statusOf(job: Job): JobStatus {
  const { jobId, status, pollCount, result, error, cause } = job;
  switch (status) {
    case 'COMPLETED':
      return { jobId, status, pollCount, result };
    case 'FAILED':
      return { jobId, status, pollCount, error, cause };
    default:
      return { jobId, status, pollCount };
  }
}

function createJob(jobId: string, attempt: number, simulate: Simulate): JobStatus {
  const job: Job = {
    jobId,
    status: 'IN_PROGRESS',
    pollCount: 0,
    completionPolls: Number(simulate.completionPolls ?? 2),
    failsTransiently: attempt <= Number(simulate.transientFailures ?? 0),
    never: simulate.never === true,
    result: simulate.result ?? { records: 42 },
    createdAt: new Date().toISOString(),
  };
  putItem('jobs', jobId, job);
  console.log(`job ${jobId} created`);
  return statusOf(job);
}

function checkStatus(jobId: string): JobStatus {
  const job = getItem<Job>('jobs', jobId);
  if (!job) throw new JobNotFound(`no job ${jobId}`);
  if (job.status !== 'IN_PROGRESS') return statusOf(job);
  job.pollCount += 1;
  if (job.failsTransiently) {
    job.status = 'FAILED';
    job.error = 'JobTransientError';
    job.cause = `job ${jobId} failed on poll ${job.pollCount} (simulated transient failure)`;
  } else if (!job.never && job.pollCount >= job.completionPolls) {
    job.status = 'COMPLETED';
  }
  putItem('jobs', jobId, job);
  return statusOf(job);
}

export const handler = async (event: ApiRequest): Promise<JobStatus> => {
  const jobId = checkKey(event?.jobId, 'jobId');
  switch (event.action) {
    case 'CREATE_JOB':
      return createJob(jobId, Number(event.attempt ?? 1), event.simulate ?? {});
    case 'CHECK_STATUS':
      return checkStatus(jobId);
    default:
      throw new ValidationError(
        `action must be CREATE_JOB or CHECK_STATUS, not ${JSON.stringify((event as { action?: unknown }).action)}`,
      );
  }
};
