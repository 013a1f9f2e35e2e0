// Task logs for the state inspector: which logs a state's visit produced, found in its events
// (an ECS task's ARN; a command function's name and request id), and fetching them from
// `GET /console/api/logs/…`.

import { details } from './history.js';
import { signedFetch } from './sign.js';

const ECS_TASK = /arn:aws:ecs:[^"\\\s]*:task\/[^"\\\s]*?([0-9a-f]{32})/g;
const REQUEST_ID = /RequestId["\\:\s]+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;
const FUNCTION_ARN = /:function:([A-Za-z0-9_-]+)/;

// The function a Task calls: a Lambda ARN resource, or lambda:invoke's FunctionName.
function functionName(events) {
  for (const e of events) {
    if (!/(Task|LambdaFunction)Scheduled$/.test(e.type)) continue;
    const d = details(e);
    const byArn = (d.resource || '').match(FUNCTION_ARN);
    if (byArn) return byArn[1];
    if (d.resourceType === 'lambda' && d.parameters) {
      try {
        const name = JSON.parse(d.parameters).FunctionName || '';
        const m = name.match(FUNCTION_ARN);
        return m ? m[1] : (/^[A-Za-z0-9_-]+$/.test(name) ? name : null);
      } catch { return null; }
    }
  }
  return null;
}

// The logs of one visit: [{label, url}].
export function logSources(visit) {
  const text = JSON.stringify(visit.events);
  const sources = [];
  const seen = new Set();
  for (const m of text.matchAll(ECS_TASK)) {
    if (seen.has(m[1])) continue;
    seen.add(m[1]);
    sources.push({ label: `ECS task ${m[1]}`, url: `console/api/logs/ecs/${m[1]}` });
  }
  const fn = functionName(visit.events);
  if (fn) {
    const request = text.match(REQUEST_ID);
    sources.push(request
      ? { label: `function ${fn}, request ${request[1]}`, url: `console/api/logs/functions/${fn}?requestId=${request[1]}` }
      : { label: `function ${fn} (every invocation)`, url: `console/api/logs/functions/${fn}` });
  }
  return sources;
}

// The text of a log, or a line saying why there is none. Asked with `optional=true`, so a
// task that wrote no log is an ordinary answer (200, `X-Baton-Log: absent`), not a failed
// request in the browser's console.
export async function fetchLog(url) {
  try {
    const response = await signedFetch(`${url}${url.includes('?') ? '&' : '?'}optional=true`);
    const text = await response.text();
    if (response.headers.get('X-Baton-Log') === 'absent') return '(no log: the task wrote nothing or ran elsewhere)';
    return response.ok ? (text || '(empty)') : `(${response.status}: ${text.trim()})`;
  } catch (e) {
    return `(could not read the log: ${e.message})`;
  }
}
