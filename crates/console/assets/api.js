// The Step Functions API as the browser calls it (AWS JSON 1.0 on POST /), the console's graph
// endpoint, and small DOM helpers shared by the pages. Calls are signed when a key was given
// (sign.js).

import { signedFetch } from './sign.js';

export class ApiError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

// One API call: `op` is the operation name (`ListStateMachines`).
export async function sfn(op, body = {}) {
  const response = await signedFetch('/', {
    method: 'POST',
    headers: {
      'X-Amz-Target': `AWSStepFunctions.${op}`,
      'Content-Type': 'application/x-amz-json-1.0',
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const code = String(data.__type || response.status).split('#').pop();
    throw new ApiError(code, data.message || data.Message || response.statusText);
  }
  return data;
}

// Every page of a paginated operation: `key` names the list in the response.
export async function sfnAll(op, body, key, limit = 100000) {
  const items = [];
  let nextToken;
  do {
    const page = await sfn(op, nextToken ? { ...body, nextToken } : body);
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < limit);
  return items;
}

// The definition drawn by the server (baton-graph), as SVG text.
export async function graphSvg(definition, statuses, badges) {
  const response = await signedFetch('/console/api/graph', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ definition, statuses: statuses || {}, badges: badges || {} }),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    let code;
    try {
      const data = JSON.parse(text);
      message = data.message;
      code = data.__type && String(data.__type).split('#').pop();
    } catch { /* not JSON: keep the text */ }
    if (code) throw new ApiError(code, message);
    throw new Error(`graph: ${message}`);
  }
  return text;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// API timestamps are epoch seconds (fractional).
export function time(seconds) {
  if (seconds === undefined || seconds === null) return '';
  const d = new Date(seconds * 1000);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

// A JSON string from the API pretty-printed when it parses.
export function pretty(text) {
  if (text === undefined || text === null) return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}

export function statusBadge(status) {
  return `<span class="badge ${esc(status)}">${esc(status)}</span>`;
}

// The last part of an ARN (`…:stateMachine:Name` → `Name`).
export function arnName(arn) {
  return String(arn || '').split(':').pop();
}

export function link(route, arn, text) {
  return `<a href="#/${route}/${encodeURIComponent(arn)}">${esc(text)}</a>`;
}
