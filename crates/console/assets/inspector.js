// The state inspector's parts: one visit (outcome, timings, attempts, input, output, error,
// what a running state waits for, logs), a Map's iteration picker and a distributed Map's
// child executions. Everything is read from the history, the definition and the API.

import { esc, time, duration, pretty, statusBadge, link } from './api.js';
import { details, readPath, effectiveInput } from './history.js';
import { logSources } from './logs.js';

const TOKEN_PATH = '$$.Task.Token';

// When a Wait state wakes up: {at (epoch seconds), how}, or {how} when the time is computed
// by an expression the console does not evaluate.
export function wakeUp(visit, state) {
  if (!state) return null;
  const start = visit.entered.timestamp;
  const input = () => effectiveInput(visit, state);
  if (typeof state.Seconds === 'number') return { at: start + state.Seconds, how: `Seconds: ${state.Seconds}` };
  if (typeof state.SecondsPath === 'string') {
    const s = readPath(input(), state.SecondsPath);
    return typeof s === 'number' ? { at: start + s, how: `SecondsPath ${state.SecondsPath}: ${s}` } : { how: `SecondsPath ${state.SecondsPath}` };
  }
  const stamp = typeof state.TimestampPath === 'string' ? readPath(input(), state.TimestampPath) : state.Timestamp;
  const how = state.TimestampPath ? `TimestampPath ${state.TimestampPath}` : `Timestamp`;
  if (typeof stamp === 'string' && !stamp.startsWith('{%')) {
    const ms = Date.parse(stamp);
    if (!Number.isNaN(ms)) return { at: Math.max(start, ms / 1000), how: `${how}: ${stamp}` };
  }
  const expression = state.Seconds ?? state.Timestamp;
  return { how: typeof expression === 'string' ? `set by ${expression}` : how };
}

// The path (keys) where a definition's Parameters or Arguments put the task token.
function tokenKeys(value, keys = []) {
  if (!value || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith('.$') && v === TOKEN_PATH) return [...keys, k.slice(0, -2)];
    if (typeof v === 'string' && /^\{%.*\$states\.context\.Task\.Token.*%\}$/s.test(v)) return [...keys, k];
    const deeper = tokenKeys(v, [...keys, k]);
    if (deeper) return deeper;
  }
  return null;
}

// What a running Task waits for: {kind: 'callback', token} for `.waitForTaskToken` (the token
// read from the TaskScheduled parameters where the definition puts it), {kind: 'activity',
// activity, worker} for an activity, or null.
export function waitingFor(visit, state) {
  if (visit.status !== 'running') return null;
  let scheduled = null;
  let started = null;
  for (const e of visit.events) {
    if (/Scheduled$/.test(e.type)) { scheduled = e; started = null; }
    if (/Started$/.test(e.type) && scheduled) started = e;
  }
  if (!scheduled) return null;
  const d = details(scheduled);
  if (scheduled.type === 'ActivityScheduled') {
    return { kind: 'activity', activity: d.resource, worker: started ? details(started).workerName : undefined };
  }
  if (!/\.waitForTaskToken$/.test(d.resource || '')) return null;
  let parameters = {};
  try { parameters = JSON.parse(d.parameters || '{}'); } catch { /* shown raw below */ }
  const keys = tokenKeys(state && (state.Parameters || state.Arguments));
  let token;
  if (keys) {
    token = keys.reduce((at, k) => (at && typeof at === 'object' ? at[k] : undefined), parameters);
  }
  return { kind: 'callback', token: typeof token === 'string' ? token : undefined, parameters: d.parameters };
}

function attemptsHtml(v) {
  if (!v.retries) return '';
  const rows = v.failures.map((f, i) => {
    const what = f.retried ? 'retried' : v.status === 'caught' ? 'caught' : 'final';
    return `<li data-retried="${f.retried}"><span class="mono">${esc(f.error || f.type)}</span> <span class="muted">(${esc(f.type)}, ${what})</span>${f.cause ? `<pre class="attempt-cause">${esc(pretty(f.cause))}</pre>` : ''}</li>`;
  });
  return `<h3>Attempts: ${v.retries + 1} (${v.retries} ${v.retries === 1 ? 'retry' : 'retries'})</h3><ol class="attempts">${rows.join('')}</ol>`;
}

function waitingHtml(v, state, waiting) {
  let html = '';
  if (v.kind === 'Wait') {
    const wake = wakeUp(v, state);
    if (wake) {
      const verb = v.exited ? 'Woke up' : v.status === 'running' ? 'Wakes up' : 'Was to wake up';
      html += `<dt>${verb}</dt><dd class="mono wake-up">${wake.at !== undefined ? esc(time(wake.at)) : 'at run time'}</dd><dt>Wait</dt><dd class="mono">${esc(wake.how)}</dd>`;
    }
  }
  if (waiting && waiting.kind === 'activity') {
    html += `<dt>Waiting for</dt><dd class="waiting">${waiting.worker ? `worker ${esc(waiting.worker)} to answer` : 'a worker to take the task'} (activity <span class="mono">${esc(waiting.activity)}</span>)</dd>`;
  }
  if (waiting && waiting.kind === 'callback') {
    html += `<dt>Waiting for</dt><dd class="waiting">a callback with its task token</dd>`;
  }
  return html;
}

// The callback form of a Task waiting for its token.
function callbackHtml(waiting) {
  if (!waiting || waiting.kind !== 'callback') return '';
  if (!waiting.token) {
    return `<h3>Task token</h3><p class="empty">Not found in the parameters:</p><pre>${esc(pretty(waiting.parameters))}</pre>`;
  }
  return `<h3>Task token</h3><pre class="task-token">${esc(waiting.token)}</pre>
    <form class="callback" data-token="${esc(waiting.token)}">
      <label class="muted">Output (JSON) for Send success; error and cause for Send failure</label>
      <textarea name="output" data-keep="callback-output" aria-label="Task output" spellcheck="false">{}</textarea>
      <div class="toolbar"><button type="submit" name="success">Send success</button></div>
      <div class="toolbar"><input type="text" name="error" data-keep="callback-error" placeholder="Error" aria-label="Task error">
        <input type="text" name="cause" data-keep="callback-cause" placeholder="Cause" aria-label="Task cause">
        <button type="submit" name="failure" class="danger">Send failure</button></div>
      <span class="error callback-error" role="alert"></span>
    </form>`;
}

// One visit of a state.
export function visitHtml(v, state, logCache) {
  const waiting = waitingFor(v, state);
  const ms = v.ms !== undefined ? duration(v.ms) : (v.status === 'running' ? 'still running' : 'unknown');
  const error = v.kind === 'Fail' || v.final
    ? `<h3>Error</h3><pre class="state-error">${esc(v.error ?? '')}${v.cause ? `\n${esc(pretty(v.cause))}` : ''}</pre>` : '';
  return `<div class="visit" data-entered="${v.entered.id}" data-outcome="${esc(v.outcome)}">
    <dl class="meta"><dt>Status</dt><dd><span class="badge outcome ${esc(v.outcome.replace(/ /g, '_'))}">${esc(v.outcome)}</span></dd>
    <dt>Entered</dt><dd class="mono">${esc(time(v.entered.timestamp))}</dd>
    <dt>Duration</dt><dd class="duration">${esc(ms)}</dd>
    ${v.iteration ? `<dt>Iteration</dt><dd>${esc(v.iteration.map.name)} #${esc(v.iteration.index)}</dd>` : ''}
    ${waitingHtml(v, state, waiting)}</dl>
    ${error}
    ${attemptsHtml(v)}
    ${callbackHtml(waiting)}
    <h3>Input</h3><pre class="state-input">${esc(pretty(v.input))}</pre>
    ${v.exited ? `<h3>Output</h3><pre class="state-output">${esc(pretty(v.output))}</pre>` : ''}
    ${logSources(v).map((src) => `<h3>Logs: ${esc(src.label)}</h3><pre class="task-log" data-src="${esc(src.url)}">${esc(logCache.get(src.url) ?? 'Reading…')}</pre>`).join('')}
  </div>`;
}

// The iteration picker of a Map visit: every index with its status, failed ones marked.
export function iterationPickerHtml(map, chosen) {
  const entries = [...map.iterations.entries()].sort((a, b) => a[0] - b[0]);
  const failed = entries.filter(([, s]) => s === 'failed').map(([i]) => i);
  const options = entries.map(([i, s]) => `<option value="${i}" data-status="${s}"${chosen === i ? ' selected' : ''}>#${i} ${s === 'failed' ? '✕ FAILED' : s.toUpperCase()}</option>`);
  return `<div class="iterations" data-map="${esc(map.name)}">
    <label>Iteration <select id="iteration" aria-label="Map iteration">
      <option value=""${chosen === undefined ? ' selected' : ''}>All ${entries.length} iterations</option>${options.join('')}</select></label>
    ${failed.length ? `<div class="failed-iterations">Failed: ${failed.slice(0, 50).map((i) => `<button type="button" class="chip" data-index="${i}">#${i}</button>`).join(' ')}${failed.length > 50 ? ` and ${failed.length - 50} more` : ''}</div>` : '<div class="muted">No failed iterations.</div>'}
  </div>`;
}

// A distributed Map's run: its item counts and its child executions, failed ones marked.
export function mapRunHtml(run, children) {
  const counts = run.itemCounts || {};
  const rows = children.map((x) => `<tr data-status="${esc(x.status)}" class="${x.status === 'SUCCEEDED' || x.status === 'RUNNING' ? '' : 'failed-row'}"><td>${link('executions', x.executionArn, x.name)}</td><td>${statusBadge(x.status)}</td><td class="mono">${esc(time(x.startDate))}</td></tr>`);
  return `<div class="map-run"><h3>Map run ${statusBadge(run.status)}</h3>
    <div class="muted mono">${esc(run.mapRunArn)}</div>
    <p class="map-run-counts">${['succeeded', 'failed', 'running', 'pending', 'timedOut', 'aborted'].filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`).join(', ') || 'no items'} of ${esc(counts.total ?? 0)} items</p>
    <div class="scroll"><table class="children"><thead><tr><th>Child execution</th><th>Status</th><th>Started</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="3" class="empty">No child executions.</td></tr>'}</tbody></table></div></div>`;
}
