// Calls SimulatedApi as the seed does: a Lambda Invoke through the AWS SDK. No endpoint is
// written here: the SDK reads AWS_ENDPOINT_URL, the credentials and the region from the
// environment, so under Baton the call reaches Baton's own Lambda API.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ApiRequest, JobStatus } from './simulated-api';

const lambda = new LambdaClient({});
const FUNCTION = process.env.SIMULATED_API_FUNCTION ?? 'SimulatedApi';

/** The called function's error, under the name it reported. */
class ApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export async function callApi(request: ApiRequest): Promise<JobStatus> {
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: FUNCTION,
      Payload: Buffer.from(JSON.stringify(request)),
    }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
  if (out.FunctionError) {
    const error = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    throw new ApiError(
      error.errorType ?? 'SimulatedApiError',
      `${FUNCTION} ${request.action}: ${error.errorMessage ?? text}`,
    );
  }
  return JSON.parse(text) as JobStatus;
}
