// One execution: the graph coloured from the history, the state inspector, the event history
// as a filterable table, Stop and Redrive, and polling every second while it runs (each poll
// fetches only the events after the last one it has).

import { sfn, sfnAll, graphSvg, esc, time, duration, pretty, statusBadge, arnName, link } from './api.js';
import { analyse, branchBadges } from './history.js';
import { logSources, fetchLog } from './logs.js';

// Events per page when polling for new ones.
const HISTORY_PAGE = 25;

const LEGEND = ['not-reached', 'running', 'succeeded', 'failed', 'caught']
  .map((s) => `<span class="${s}">${s.replace('-', ' ')}</span>`).join('');

export async function executionPage(main, arn, isCurrent) {
  const started = performance.now();
  main.innerHTML = `<div class="crumbs"><a href="#/">State machines</a> / <span id="machine-link"></span> /</div>
    <h1 id="exec-name">${esc(arnName(arn))}</h1>
    <div class="toolbar"><span id="exec-status"></span>
      <button id="stop" class="danger" disabled>Stop</button>
      <button id="redrive" class="secondary" disabled>Redrive</button>
      <span id="action-error" class="error" role="alert"></span></div>
    <div class="grid">
      <div class="card"><div id="graph" class="graph"><p class="muted">Drawing…</p></div><div class="legend">${LEGEND}</div></div>
      <div>
        <div class="card inspector" id="inspector"><h2>State</h2><p class="empty">Click a state in the graph to see its input, output and timings.</p></div>
        <div class="card"><h2>Execution</h2><dl class="meta" id="exec-meta"></dl></div>
      </div>
    </div>
    <div class="card">
      <div class="toolbar"><h2 style="margin:0">Event history</h2>
        <input type="search" id="event-filter" placeholder="Filter by type, state or detail" aria-label="Filter events">
        <label><input type="checkbox" id="failures-only"> failures only</label>
        <span class="muted" id="event-count"></span></div>
      <div class="scroll"><table id="events"><thead><tr><th>ID</th><th>Type</th><th>State</th><th>Elapsed</th><th>Details</th></tr></thead><tbody></tbody></table></div>
    </div>`;

  let selected = null;
  let drawnKey = null;
  let model = null;
  let events = [];
  let execution = null;
  let definition = null;
  let polling = false;
  const logCache = new Map();

  const describeMachine = sfn('DescribeStateMachineForExecution', { executionArn: arn });

  // History events received so far (the browser test reads it: polls fetch only new events).
  main.dataset.eventsReceived = '0';
  const counted = (list) => {
    main.dataset.eventsReceived = String(Number(main.dataset.eventsReceived) + list.length);
    return list;
  };
  // The events after `lastId`: newest first, a page at a time, until a known one.
  const newerEvents = async (lastId) => {
    const fresh = [];
    let nextToken;
    for (;;) {
      const page = await sfn('GetExecutionHistory', {
        executionArn: arn, reverseOrder: true, maxResults: HISTORY_PAGE, ...(nextToken ? { nextToken } : {}),
      });
      counted(page.events);
      for (const e of page.events) {
        if (e.id <= lastId) return fresh.reverse();
        fresh.push(e);
      }
      nextToken = page.nextToken;
      if (!nextToken) return fresh.reverse();
    }
  };

  const renderInspector = () => {
    const box = main.querySelector('#inspector');
    if (!selected || !model) return;
    const visits = model.visits.filter((v) => v.name === selected);
    const status = model.statuses[selected] || 'not-reached';
    let html = `<h2>${esc(selected)} <span class="badge">${esc(status)}</span></h2>`;
    if (!visits.length) {
      box.innerHTML = `${html}<p class="empty">Not reached.</p>`;
      return;
    }
    if (visits.length > 1) html += `<p class="muted">${visits.length} visits; the last ${Math.min(visits.length, 5)} shown.</p>`;
    for (const v of visits.slice(-5).reverse()) {
      html += `<div class="visit" data-entered="${v.entered.id}">
        <dl class="meta"><dt>Entered</dt><dd class="mono">${esc(time(v.entered.timestamp))}</dd>
        <dt>Duration</dt><dd>${esc(v.ms !== undefined ? duration(v.ms) : 'still running')}</dd>
        <dt>Status</dt><dd>${esc(v.status)}</dd>
        ${v.failures.length ? `<dt>Failures</dt><dd>${v.failures.length}${v.failures.length > 1 ? ` (${v.failures.length - 1} retried)` : ''}</dd>` : ''}</dl>
        <h3>Input</h3><pre class="state-input">${esc(pretty(v.input))}</pre>
        ${v.exited ? `<h3>Output</h3><pre class="state-output">${esc(pretty(v.output))}</pre>` : ''}
        ${v.failures.filter((f) => f.error || f.cause).map((f) => `<h3>Error (${esc(f.type)})</h3><pre class="state-error">${esc(f.error || '')}${f.cause ? `\n${esc(pretty(f.cause))}` : ''}</pre>`).join('')}
        ${logSources(v).map((src) => `<h3>Logs: ${esc(src.label)}</h3><pre class="task-log" data-src="${esc(src.url)}">${esc(logCache.get(src.url) ?? 'Reading…')}</pre>`).join('')}
      </div>`;
    }
    box.innerHTML = html;
    // A log is read once its visit has ended (a running task's log is read at each refresh).
    for (const pre of box.querySelectorAll('pre.task-log')) {
      const url = pre.dataset.src;
      const done = !visits.some((v) => !v.exited && !v.failures.length && logSources(v).some((s) => s.url === url));
      if (done && logCache.has(url)) continue;
      fetchLog(url).then((text) => {
        if (done) logCache.set(url, text);
        for (const p of box.querySelectorAll('pre.task-log')) if (p.dataset.src === url) p.textContent = text;
      });
    }
  };

  const select = (name) => {
    selected = name;
    for (const g of main.querySelectorAll('#graph .state')) g.classList.toggle('selected', g.dataset.state === name);
    renderInspector();
  };

  main.querySelector('#graph').addEventListener('click', (event) => {
    const g = event.target.closest('.state');
    if (g && g.dataset.state) select(g.dataset.state);
  });

  const filterInput = main.querySelector('#event-filter');
  const failuresOnly = main.querySelector('#failures-only');
  const renderEvents = () => {
    const q = filterInput.value.trim().toLowerCase();
    const start = events.length ? events[0].timestamp : 0;
    const rows = [];
    let shown = 0;
    for (const e of events) {
      const state = model.stateOf.get(e.id) || '';
      const detailKey = Object.keys(e).find((k) => k.endsWith('EventDetails'));
      const detail = detailKey ? JSON.stringify(e[detailKey]) : '';
      if (failuresOnly.checked && !/(Failed|TimedOut|Aborted)$/.test(e.type)) continue;
      if (q && !(`${e.type} ${state} ${detail}`.toLowerCase().includes(q))) continue;
      shown++;
      rows.push(`<tr data-type="${esc(e.type)}"><td class="mono">${e.id}</td><td>${esc(e.type)}</td><td>${esc(state)}</td><td class="mono">${esc(duration((e.timestamp - start) * 1000))}</td><td class="mono detail" title="${esc(detail.slice(0, 2000))}">${esc(detail.slice(0, 300))}</td></tr>`);
    }
    main.querySelector('#events tbody').innerHTML = rows.join('') || '<tr><td colspan="5" class="empty">No events.</td></tr>';
    main.querySelector('#event-count').textContent = `${shown} of ${events.length} events`;
  };
  filterInput.addEventListener('input', renderEvents);
  failuresOnly.addEventListener('change', renderEvents);

  const actionError = main.querySelector('#action-error');
  const act = async (op) => {
    actionError.textContent = '';
    try {
      await sfn(op, { executionArn: arn });
      await refresh();
      startPolling();
    } catch (e) {
      actionError.textContent = e.message;
    }
  };
  main.querySelector('#stop').addEventListener('click', () => act('StopExecution'));
  main.querySelector('#redrive').addEventListener('click', () => act('RedriveExecution'));

  async function refresh() {
    const [described, history] = await Promise.all([
      sfn('DescribeExecution', { executionArn: arn }),
      events.length ? newerEvents(events[events.length - 1].id).then((fresh) => events.concat(fresh))
        : sfnAll('GetExecutionHistory', { executionArn: arn, maxResults: 1000 }, 'events').then(counted),
    ]);
    if (!isCurrent()) return;
    execution = described;
    events = history;
    if (definition === null) {
      const machine = await describeMachine;
      definition = machine.definition;
      main.querySelector('#machine-link').innerHTML = link('machines', execution.stateMachineArn, machine.name || arnName(execution.stateMachineArn));
    }
    model = analyse(events, execution.status);
    Object.assign(model.badges, branchBadges(definition, model.visits));
    main.querySelector('#exec-name').textContent = execution.name;
    main.querySelector('#exec-status').innerHTML = statusBadge(execution.status);
    main.querySelector('#stop').disabled = execution.status !== 'RUNNING';
    main.querySelector('#redrive').disabled = !['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status);
    main.querySelector('#exec-meta').innerHTML = `
      <dt>Status</dt><dd>${esc(execution.status)}</dd>
      <dt>Started</dt><dd class="mono">${esc(time(execution.startDate))}</dd>
      ${execution.stopDate ? `<dt>Stopped</dt><dd class="mono">${esc(time(execution.stopDate))}</dd><dt>Duration</dt><dd>${esc(duration((execution.stopDate - execution.startDate) * 1000))}</dd>` : ''}
      ${execution.error ? `<dt>Error</dt><dd class="mono">${esc(execution.error)}</dd>` : ''}
      ${execution.cause ? `<dt>Cause</dt><dd class="mono">${esc(execution.cause)}</dd>` : ''}
      <dt>Input</dt><dd><pre>${esc(pretty(execution.input))}</pre></dd>
      ${execution.output !== undefined ? `<dt>Output</dt><dd><pre id="exec-output">${esc(pretty(execution.output))}</pre></dd>` : ''}`;
    const key = JSON.stringify([model.statuses, model.badges]);
    if (key !== drawnKey) {
      drawnKey = key;
      const svg = await graphSvg(definition, model.statuses, model.badges);
      if (!isCurrent()) return;
      main.querySelector('#graph').innerHTML = svg;
      if (selected) select(selected);
    }
    renderEvents();
    renderInspector();
  }

  await refresh();
  main.dataset.renderMs = String(Math.round(performance.now() - started));
  main.dataset.ready = 'true';
  startPolling();

  // Live updates: poll every second while the execution runs and the page is still shown.
  function startPolling() {
    if (polling) return;
    polling = true;
    const poll = async () => {
      if (!isCurrent() || !execution || execution.status !== 'RUNNING') {
        polling = false;
        return;
      }
      try { await refresh(); } catch (e) { actionError.textContent = e.message; }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }
}
