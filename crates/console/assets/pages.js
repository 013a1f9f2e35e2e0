// The list pages and one state machine: state machines, a machine (graph, code, versions,
// aliases, executions, Start execution) and activities.

import { sfn, sfnAll, graphSvg, esc, time, statusBadge, arnName, link, ApiError } from './api.js';
import { signedFetch } from './sign.js';
import { zoomable } from './zoom.js';

export async function machinesPage(main, query) {
  main.innerHTML = `<h1>State machines</h1>
    <div class="card">
      <div class="toolbar">
        <input type="search" id="search" placeholder="Search by name" value="${esc(query.get('q') || '')}" aria-label="Search state machines">
        <span class="muted" id="count"></span>
      </div>
      <table id="machines"><thead><tr><th>Name</th><th>Type</th><th>Created</th></tr></thead><tbody></tbody></table>
    </div>`;
  const machines = await sfnAll('ListStateMachines', { maxResults: 1000 }, 'stateMachines');
  const input = main.querySelector('#search');
  const render = () => {
    const q = input.value.trim().toLowerCase();
    const shown = machines.filter((m) => !q || m.name.toLowerCase().includes(q));
    main.querySelector('#count').textContent = `${shown.length} of ${machines.length}`;
    main.querySelector('#machines tbody').innerHTML = shown.length
      ? shown.map((m) => `<tr data-name="${esc(m.name)}"><td>${link('machines', m.stateMachineArn, m.name)}</td><td>${esc(m.type)}</td><td class="mono">${esc(time(m.creationDate))}</td></tr>`).join('')
      : '<tr><td colspan="3" class="empty">No state machines.</td></tr>';
  };
  input.addEventListener('input', render);
  render();
}

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export async function machinePage(main, arn) {
  const machine = await sfn('DescribeStateMachine', { stateMachineArn: arn });
  main.innerHTML = `<div class="crumbs"><a href="#/">State machines</a> /</div>
    <h1>${esc(machine.name)}</h1>
    <div class="muted mono">${esc(arn)}</div>
    <div class="grid" style="margin-top:12px">
      <div class="card">
        <div class="tabs"><button class="active" data-tab="graph">Graph</button><button data-tab="code">Definition</button></div>
        <div id="tab-graph-pane"><div class="toolbar zoom" id="zoom"></div><div id="tab-graph" class="graph"><p class="muted">Drawing…</p></div></div>
        <div id="tab-code" hidden><pre class="code">${esc(prettyDefinition(machine.definition))}</pre></div>
      </div>
      <div>
        <div class="card">
          <h2>Start execution</h2>
          <form id="start">
            <div class="toolbar"><input type="text" id="exec-name" placeholder="Name (optional)" aria-label="Execution name"></div>
            <textarea id="exec-input" aria-label="Execution input" spellcheck="false">{}</textarea>
            <div class="toolbar" style="margin-top:6px"><button type="submit">Start execution</button><span id="start-error" class="error" role="alert"></span></div>
          </form>
        </div>
        <div class="card">
          <h2>Details</h2>
          <dl class="meta">
            <dt>Type</dt><dd>${esc(machine.type)}</dd>
            <dt>Status</dt><dd>${esc(machine.status)}</dd>
            <dt>Role</dt><dd class="mono">${esc(machine.roleArn)}</dd>
            <dt>Created</dt><dd class="mono">${esc(time(machine.creationDate))}</dd>
            ${machine.revisionId ? `<dt>Revision</dt><dd class="mono">${esc(machine.revisionId)}</dd>` : ''}
          </dl>
        </div>
        <div class="card"><h2>Versions</h2><div id="versions" class="muted">Loading…</div></div>
        <div class="card"><h2>Aliases</h2><div id="aliases" class="muted">Loading…</div></div>
      </div>
    </div>
    <div class="card">
      <div class="toolbar"><h2 style="margin:0">Executions</h2>
        <select id="status-filter" aria-label="Status filter">${STATUSES.map((s) => `<option value="${s}">${s || 'All statuses'}</option>`).join('')}</select>
      </div>
      <div class="scroll"><table id="executions"><thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Stopped</th></tr></thead><tbody></tbody></table></div>
    </div>`;

  for (const button of main.querySelectorAll('.tabs button')) {
    button.addEventListener('click', () => {
      for (const b of main.querySelectorAll('.tabs button')) b.classList.toggle('active', b === button);
      main.querySelector('#tab-graph-pane').hidden = button.dataset.tab !== 'graph';
      main.querySelector('#tab-code').hidden = button.dataset.tab !== 'code';
    });
  }
  const view = zoomable(main.querySelector('#tab-graph'), main.querySelector('#zoom'));
  graphSvg(machine.definition).then(
    (svg) => { main.querySelector('#tab-graph').innerHTML = svg; view.drawn(); },
    (e) => { main.querySelector('#tab-graph').innerHTML = `<p class="error">${esc(e.message)}</p>`; },
  );

  main.querySelector('#start').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = main.querySelector('#start-error');
    const text = main.querySelector('#exec-input').value;
    try {
      JSON.parse(text);
    } catch (e) {
      error.textContent = `The input is not JSON: ${e.message}`;
      return;
    }
    error.textContent = '';
    const body = { stateMachineArn: arn, input: text };
    const name = main.querySelector('#exec-name').value.trim();
    if (name) body.name = name;
    try {
      const started = await sfn('StartExecution', body);
      location.hash = `#/executions/${encodeURIComponent(started.executionArn)}`;
    } catch (e) {
      error.textContent = e.message;
    }
  });

  const versionsEl = main.querySelector('#versions');
  sfnAll('ListStateMachineVersions', { stateMachineArn: arn }, 'stateMachineVersions').then(
    (versions) => {
      versionsEl.className = '';
      versionsEl.innerHTML = versions.length
        ? `<table><tbody>${versions.map((v) => `<tr><td>${link('machines', v.stateMachineVersionArn, `Version ${arnName(v.stateMachineVersionArn)}`)}</td><td class="mono">${esc(time(v.creationDate))}</td></tr>`).join('')}</tbody></table>`
        : '<span class="empty">No versions published.</span>';
    },
    (e) => { versionsEl.innerHTML = `<span class="error">${esc(e.message)}</span>`; },
  );
  const aliasesEl = main.querySelector('#aliases');
  sfnAll('ListStateMachineAliases', { stateMachineArn: arn }, 'stateMachineAliases').then(
    (aliases) => {
      aliasesEl.className = '';
      aliasesEl.innerHTML = aliases.length
        ? `<table><tbody>${aliases.map((a) => `<tr><td>${esc(arnName(a.stateMachineAliasArn))}</td><td class="mono">${esc(time(a.creationDate))}</td></tr>`).join('')}</tbody></table>`
        : '<span class="empty">No aliases.</span>';
    },
    (e) => { aliasesEl.innerHTML = `<span class="error">${esc(e.message)}</span>`; },
  );

  const filter = main.querySelector('#status-filter');
  const loadExecutions = async () => {
    const body = { stateMachineArn: arn, maxResults: 1000 };
    if (filter.value) body.statusFilter = filter.value;
    const tbody = main.querySelector('#executions tbody');
    try {
      const executions = await sfnAll('ListExecutions', body, 'executions', 1000);
      tbody.innerHTML = executions.length
        ? executions.map((x) => `<tr data-status="${esc(x.status)}"><td>${link('executions', x.executionArn, x.name)}</td><td>${statusBadge(x.status)}</td><td class="mono">${esc(time(x.startDate))}</td><td class="mono">${esc(time(x.stopDate))}</td></tr>`).join('')
        : '<tr><td colspan="4" class="empty">No executions.</td></tr>';
    } catch (e) {
      tbody.innerHTML = `<tr><td colspan="4" class="error">${esc(e.message)}</td></tr>`;
    }
  };
  filter.addEventListener('change', loadExecutions);
  await loadExecutions();
}

function prettyDefinition(definition) {
  try { return JSON.stringify(JSON.parse(definition), null, 2); } catch { return definition; }
}

export async function activitiesPage(main) {
  main.innerHTML = `<h1>Activities</h1>
    <div class="card"><table id="activities"><thead><tr><th>Name</th><th>ARN</th><th>Created</th></tr></thead><tbody><tr><td colspan="3" class="muted">Loading…</td></tr></tbody></table></div>`;
  const activities = await sfnAll('ListActivities', { maxResults: 1000 }, 'activities');
  main.querySelector('#activities tbody').innerHTML = activities.length
    ? activities.map((a) => `<tr><td>${esc(a.name)}</td><td class="mono">${esc(a.activityArn)}</td><td class="mono">${esc(time(a.creationDate))}</td></tr>`).join('')
    : '<tr><td colspan="3" class="empty">No activities.</td></tr>';
}

// EventBridge Scheduler's schedules and EventBridge's rules, with when each fires next and
// last fired (the server's `/console/api/schedules`).
export async function schedulesPage(main) {
  main.innerHTML = `<h1>Schedules and rules</h1>
    <div class="card"><h2>Schedules</h2><table id="schedules"><thead><tr><th>Name</th><th>Group</th><th>Expression</th><th>State</th><th>Target</th><th>Next</th><th>Last</th></tr></thead><tbody><tr><td colspan="7" class="muted">Loading…</td></tr></tbody></table></div>
    <div class="card"><h2>Rules</h2><table id="rules"><thead><tr><th>Name</th><th>Bus</th><th>Schedule or pattern</th><th>State</th><th>Targets</th><th>Next</th><th>Last</th></tr></thead><tbody></tbody></table></div>`;
  const response = await signedFetch('/console/api/schedules');
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const code = response.headers.get('x-amzn-errortype') || String(response.status);
    throw new ApiError(code.split(':')[0], data.message || data.Message || response.statusText);
  }
  const when = (t) => (t ? esc(t) : '<span class="muted">–</span>');
  const target = (arn) => (String(arn || '').includes(':stateMachine:') ? link('machines', arn, arnName(arn)) : esc(arn));
  main.querySelector('#schedules tbody').innerHTML = data.schedules.length
    ? data.schedules.map((s) => `<tr data-name="${esc(s.name)}"><td>${esc(s.name)}</td><td>${esc(s.group)}</td><td class="mono">${esc(s.expression)}${s.timezone ? ` <span class="muted">${esc(s.timezone)}</span>` : ''}</td><td>${esc(s.state)}</td><td class="mono">${target(s.target)}</td><td class="mono" data-next>${when(s.next)}</td><td class="mono" data-last>${when(s.last)}</td></tr>`).join('')
    : '<tr><td colspan="7" class="empty">No schedules.</td></tr>';
  main.querySelector('#rules tbody').innerHTML = data.rules.length
    ? data.rules.map((r) => `<tr data-name="${esc(r.name)}"><td>${esc(r.name)}</td><td>${esc(r.bus)}</td><td class="mono">${esc(r.expression || r.pattern)}</td><td>${esc(r.state)}</td><td class="mono">${r.targets.map(target).join('<br>')}</td><td class="mono" data-next>${when(r.next)}</td><td class="mono" data-last>${when(r.last)}</td></tr>`).join('')
    : '<tr><td colspan="7" class="empty">No rules.</td></tr>';
}
