// One execution: the graph coloured from the history (zoom, pan, fit), the state inspector,
// the event history as a filterable table whose rows open to the event's JSON, Stop and
// Redrive, and polling every second while it runs (each poll fetches only the events after
// the last one it has).

import { sfn, sfnAll, graphSvg, esc, time, duration, pretty, statusBadge, arnName, link } from './api.js';
import { analyse, branchBadges, statusesOf, inIteration } from './history.js';
import { fetchLog, logSources } from './logs.js';
import { visitHtml, iterationPickerHtml, mapRunHtml } from './inspector.js';
import { zoomable } from './zoom.js';

// Events per page when polling for new ones.
const HISTORY_PAGE = 25;

const LEGEND = ['not-reached', 'running', 'succeeded', 'failed', 'caught', 'aborted']
  .map((s) => `<span class="${s}">${s.replace('-', ' ')}</span>`).join('');

// The graph endpoint draws every status but `aborted`: the page restyles those states, sent
// as `not-reached`.
const AS_SENT = { aborted: 'not-reached' };

export async function executionPage(main, arn, isCurrent) {
  const started = performance.now();
  main.innerHTML = `<div class="crumbs"><a href="#/">State machines</a> / <span id="machine-link"></span> /</div>
    <h1 id="exec-name">${esc(arnName(arn))}</h1>
    <div class="toolbar"><span id="exec-status"></span>
      <button id="stop" class="danger" disabled>Stop</button>
      <button id="redrive" class="secondary" disabled>Redrive</button>
      <span id="action-error" class="error" role="alert"></span></div>
    <div class="grid">
      <div class="card"><div class="toolbar zoom" id="zoom"></div><div id="graph" class="graph"><p class="muted">Drawing…</p></div><div class="legend">${LEGEND}</div></div>
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
  let inspectorHtml = null;
  let model = null;
  let events = [];
  let execution = null;
  let definition = null;
  let polling = false;
  let mapRunsHtml = '';
  let parentHtml = null;
  const logCache = new Map();
  const mapRuns = new Map(); // map run ARN -> {run, children}, or a promise while read
  const chosen = new Map(); // Map state name -> the iteration index the graph shows
  const expanded = new Set(); // history rows opened to their JSON
  const graphBox = main.querySelector('#graph');
  const view = zoomable(graphBox, main.querySelector('#zoom'));

  const describeMachine = sfn('DescribeStateMachineForExecution', { executionArn: arn });
  // Awaited later; if another call fails first (a key no longer valid, say), its rejection
  // is the page's error, not an unhandled one.
  describeMachine.catch(() => {});

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

  const lastVisit = (name) => {
    let found = null;
    for (const v of model.visits) if (v.name === name) found = v;
    return found;
  };
  // Whether a visit is shown under the iterations chosen in the pickers.
  const shown = (v) => {
    for (const [name, index] of chosen) {
      const map = lastVisit(name);
      if (!map) continue;
      let inside = false;
      for (let it = v.iteration; it; it = it.map.iteration) if (it.map.name === name) inside = true;
      if (inside && !inIteration(v, map, index)) return false;
    }
    return true;
  };
  // The Map whose iterations the inspector offers for the selected state.
  const pickerMap = (name) => {
    const own = lastVisit(name);
    if (own && own.kind === 'Map' && own.iterations.size) return own;
    const known = model.states.get(name);
    const outer = known && known.map ? lastVisit(known.map) : null;
    return outer && outer.iterations.size ? outer : null;
  };

  const mapRunSection = (v) => {
    if (!v || !v.mapRunArn) return '';
    const read = mapRuns.get(v.mapRunArn);
    if (read && !(read instanceof Promise)) return mapRunHtml(read.run, read.children);
    if (!read) {
      const reading = Promise.all([
        sfn('DescribeMapRun', { mapRunArn: v.mapRunArn }),
        sfnAll('ListExecutions', { mapRunArn: v.mapRunArn, maxResults: 1000 }, 'executions', 1000),
      ]).then(([run, children]) => {
        mapRuns.set(v.mapRunArn, { run, children });
        renderInspector();
      }, (e) => {
        mapRuns.set(v.mapRunArn, { run: { mapRunArn: v.mapRunArn, status: e.message }, children: [] });
        renderInspector();
      });
      mapRuns.set(v.mapRunArn, reading);
    }
    return '<p class="muted">Reading the map run…</p>';
  };

  const renderInspector = () => {
    const box = main.querySelector('#inspector');
    if (!selected || !model) return;
    const known = model.states.get(selected);
    const state = known ? known.state : undefined;
    const visits = model.visits.filter((v) => v.name === selected && shown(v));
    const status = statusesOf(visits)[selected] || 'not-reached';
    let html = `<h2>${esc(selected)} <span class="badge">${esc(status)}</span></h2>`;
    const map = pickerMap(selected);
    if (map) html += iterationPickerHtml(map, chosen.get(map.name));
    html += mapRunSection(lastVisit(selected));
    if (!visits.length) {
      html += '<p class="empty">Not reached.</p>';
    } else {
      if (visits.length > 1) html += `<p class="muted">${visits.length} visits; the last ${Math.min(visits.length, 5)} shown.</p>`;
      for (const v of visits.slice(-5).reverse()) html += visitHtml(v, state, logCache);
    }
    if (html !== inspectorHtml) {
      inspectorHtml = html;
      // What was typed into the callback form survives a redraw.
      const kept = new Map([...box.querySelectorAll('[data-keep]')].map((f) => [f.dataset.keep, f.value]));
      box.innerHTML = html;
      for (const f of box.querySelectorAll('[data-keep]')) if (kept.has(f.dataset.keep)) f.value = kept.get(f.dataset.keep);
    }
    // A log is read once its visit has ended (a running task's log is read at each refresh).
    for (const pre of box.querySelectorAll('pre.task-log')) {
      const url = pre.dataset.src;
      const done = !visits.some((v) => v.status === 'running' && logSources(v).some((s) => s.url === url));
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

  graphBox.addEventListener('click', (event) => {
    const g = event.target.closest('.state');
    if (g && g.dataset.state) select(g.dataset.state);
  });

  const inspector = main.querySelector('#inspector');
  const choose = async (mapName, index) => {
    if (index === undefined) chosen.delete(mapName);
    else chosen.set(mapName, index);
    await draw();
    renderInspector();
  };
  inspector.addEventListener('change', (event) => {
    if (event.target.id !== 'iteration') return;
    const mapName = event.target.closest('.iterations').dataset.map;
    choose(mapName, event.target.value === '' ? undefined : Number(event.target.value));
  });
  inspector.addEventListener('click', (event) => {
    const chip = event.target.closest('.failed-iterations .chip');
    if (chip) choose(chip.closest('.iterations').dataset.map, Number(chip.dataset.index));
  });
  // Send success / Send failure for a Task waiting on its token.
  inspector.addEventListener('submit', async (event) => {
    const form = event.target.closest('form.callback');
    if (!form) return;
    event.preventDefault();
    const message = form.querySelector('.callback-error');
    const taskToken = form.dataset.token;
    message.textContent = '';
    try {
      if (event.submitter && event.submitter.name === 'failure') {
        const body = { taskToken };
        if (form.error.value) body.error = form.error.value;
        if (form.cause.value) body.cause = form.cause.value;
        await sfn('SendTaskFailure', body);
      } else {
        JSON.parse(form.output.value);
        await sfn('SendTaskSuccess', { taskToken, output: form.output.value });
      }
      await refresh();
      startPolling();
    } catch (e) {
      message.textContent = e.message;
    }
  });

  const filterInput = main.querySelector('#event-filter');
  const failuresOnly = main.querySelector('#failures-only');
  const renderEvents = () => {
    const q = filterInput.value.trim().toLowerCase();
    const start = events.length ? events[0].timestamp : 0;
    const rows = [];
    let count = 0;
    for (const e of events) {
      const state = model.stateOf.get(e.id) || '';
      const detailKey = Object.keys(e).find((k) => k.endsWith('EventDetails'));
      const detail = detailKey ? JSON.stringify(e[detailKey]) : '';
      if (failuresOnly.checked && !/(Failed|TimedOut|Aborted)$/.test(e.type)) continue;
      if (q && !(`${e.type} ${state} ${detail}`.toLowerCase().includes(q))) continue;
      count++;
      const open = expanded.has(e.id);
      rows.push(`<tr data-type="${esc(e.type)}" data-id="${e.id}" class="event${open ? ' open' : ''}"><td class="mono"><button type="button" class="expand" aria-expanded="${open}" aria-label="Event ${e.id} as JSON">${open ? '▾' : '▸'}</button> ${e.id}</td><td>${esc(e.type)}</td><td>${esc(state)}</td><td class="mono">${esc(duration((e.timestamp - start) * 1000))}</td><td class="mono detail" title="${esc(detail.slice(0, 2000))}">${esc(detail.slice(0, 300))}</td></tr>`);
      if (open) rows.push(`<tr class="event-json" data-for="${e.id}"><td colspan="5"><pre>${esc(JSON.stringify(e, null, 2))}</pre></td></tr>`);
    }
    main.querySelector('#events tbody').innerHTML = rows.join('') || '<tr><td colspan="5" class="empty">No events.</td></tr>';
    main.querySelector('#event-count').textContent = `${count} of ${events.length} events`;
  };
  filterInput.addEventListener('input', renderEvents);
  failuresOnly.addEventListener('change', renderEvents);
  main.querySelector('#events').addEventListener('click', (event) => {
    const row = event.target.closest('tr.event');
    if (!row || window.getSelection().toString()) return;
    const id = Number(row.dataset.id);
    if (expanded.has(id)) expanded.delete(id);
    else expanded.add(id);
    renderEvents();
  });

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

  // The graph with the statuses of the chosen iterations; aborted states are drawn here.
  async function draw() {
    const statuses = statusesOf(model.visits, shown);
    const sent = Object.fromEntries(Object.entries(statuses).map(([name, s]) => [name, AS_SENT[s] || s]));
    const key = JSON.stringify([statuses, model.badges]);
    if (key === drawnKey) return;
    drawnKey = key;
    const svg = await graphSvg(definition, sent, model.badges);
    if (!isCurrent()) return;
    graphBox.innerHTML = svg;
    for (const g of graphBox.querySelectorAll('g.state')) {
      if (statuses[g.dataset.state] !== 'aborted') continue;
      g.classList.replace('status-not-reached', 'status-aborted');
    }
    view.drawn();
    if (selected) select(selected);
  }

  // The map runs this execution started (ListMapRuns), and the run a child execution is in.
  async function readMapRuns() {
    if (events.some((e) => e.type === 'MapRunStarted')) {
      const runs = await sfnAll('ListMapRuns', { executionArn: arn }, 'mapRuns');
      mapRunsHtml = runs.length ? `<dt>Map runs</dt><dd>${runs.map((r) => `<div class="mono">${esc(arnName(r.mapRunArn))}</div>`).join('')}</dd>` : '';
    }
    if (execution.mapRunArn && parentHtml === null) {
      const run = await sfn('DescribeMapRun', { mapRunArn: execution.mapRunArn });
      parentHtml = `<dt>Map run of</dt><dd>${link('executions', run.executionArn, arnName(run.executionArn))}</dd>`;
    }
  }

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
    model = analyse(events, execution.status, definition);
    Object.assign(model.badges, branchBadges(definition, model.visits));
    // A running distributed Map's children change: read its run again.
    if (execution.status === 'RUNNING') mapRuns.clear();
    await readMapRuns();
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
      ${parentHtml || ''}${mapRunsHtml}
      <dt>Input</dt><dd><pre>${esc(pretty(execution.input))}</pre></dd>
      ${execution.output !== undefined ? `<dt>Output</dt><dd><pre id="exec-output">${esc(pretty(execution.output))}</pre></dd>` : ''}`;
    await draw();
    if (!isCurrent()) return;
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
