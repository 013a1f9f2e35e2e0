// The console in headless Chromium, against a `baton serve` that crates/cli/tests/browser.rs
// has filled: machines console-ok, console-fail, console-caught, console-wait, console-map,
// console-redrive, console-logs, console-parallel, console-big, the status matrix
// (console-matrix-*), console-iterations, console-distributed, console-nolog and
// console-choices, and activity console-activity, one execution each (none of
// console-choices). Usage: node console.mjs <endpoint>
//
// Exits non-zero on the first failed check. Screenshots go to $BATON_BROWSER_ARTIFACTS
// (default target/browser-artifacts). Prints the render time of the 1,000-event execution.

import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const endpoint = process.argv[2];
if (!endpoint) {
  console.error('usage: node console.mjs <endpoint>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.BATON_BROWSER_ARTIFACTS || resolve(here, '../../target/browser-artifacts');
mkdirSync(artifacts, { recursive: true });

// The API from node, to find what the pages should show.
async function sfn(op, body = {}) {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'X-Amz-Target': `AWSStepFunctions.${op}`, 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`${op}: ${JSON.stringify(data)}`);
  return data;
}

async function historyLength(executionArn) {
  let count = 0;
  let nextToken;
  do {
    const page = await sfn('GetExecutionHistory', { executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
    count += page.events.length;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

const machines = Object.fromEntries(
  (await sfn('ListStateMachines', {})).stateMachines.map((m) => [m.name, m.stateMachineArn]),
);
async function executionOf(machine) {
  const { executions } = await sfn('ListExecutions', { stateMachineArn: machines[machine] });
  assert.ok(executions.length, `no execution of ${machine}`);
  return executions[0].executionArn;
}

const browser = await chromium.launch({
  executablePath: process.env.BATON_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
// Every request the pages make answers below 400 (a function without a log included).
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

let step = 'start';
const check = (name) => { step = name; console.log(`browser: ${name}`); };
const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

async function open(hash) {
  await page.goto(`${endpoint}/${hash}`);
  await page.waitForSelector('main[data-ready="true"]', { timeout: 20000 });
}

// The status class of each state node in the execution graph.
async function statuses() {
  return page.$$eval('#graph svg g.state', (nodes) => Object.fromEntries(nodes.map((n) => [
    n.getAttribute('data-state'),
    ([...n.classList].find((c) => c.startsWith('status-')) || '').replace('status-', ''),
  ])));
}

async function expectStatuses(expected) {
  const actual = await statuses();
  for (const [state, status] of Object.entries(expected)) {
    assert.equal(actual[state], status, `${state} should be ${status}; the graph has ${JSON.stringify(actual)}`);
  }
}

async function expectHistoryRows(arn) {
  const rows = await page.$$eval('#events tbody tr[data-type]', (r) => r.length);
  assert.equal(rows, await historyLength(arn), 'one history row per event');
}

// The API's timestamps as the console writes them.
const stamp = (seconds) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');

async function history(executionArn) {
  return (await sfn('GetExecutionHistory', { executionArn, maxResults: 1000 })).events;
}

// The on-screen box of an element.
const box = (selector) => page.$eval(selector, (n) => {
  const r = n.getBoundingClientRect();
  return { x: r.x, y: r.y, w: r.width, h: r.height };
});

async function clickState(name) {
  // The top left corner: a Map or Parallel box holds other states in its middle.
  await page.click(`#graph svg g.state[data-state="${name}"]`, { position: { x: 12, y: 8 } });
  await page.waitForSelector(`#inspector h2:has-text("${name}")`);
}

// Each state kind in each outcome: [graph status, the inspector's word, what the inspector
// says]. A state with only a status is checked in the graph alone.
const MATRIX = {
  'console-matrix-succeeded': {
    Start: ['succeeded', 'SUCCEEDED'], Decide: ['succeeded', 'SUCCEEDED'], Call: ['succeeded', 'SUCCEEDED'],
    Pause: ['succeeded', 'SUCCEEDED', /Woke up/], Both: ['succeeded', 'SUCCEEDED'], Left: ['succeeded', 'SUCCEEDED'],
    Each: ['succeeded', 'SUCCEEDED'], Item: ['succeeded', 'SUCCEEDED'], Done: ['succeeded', 'SUCCEEDED'], Nope: ['not-reached'],
  },
  'console-fail': { Begin: ['succeeded', 'SUCCEEDED'], Broken: ['failed', 'FAILED', /Error\s*Boom\s*broken on purpose/] },
  'console-matrix-task-failed': { Call: ['failed', 'FAILED', /Error\s*Broken/] },
  'console-matrix-choice-failed': { Decide: ['failed', 'FAILED', /States\.NoChoiceMatched/], Go: ['not-reached'] },
  'console-matrix-pass-failed': { Shape: ['failed', 'FAILED', /States\.Runtime[\s\S]*\$\.missing/] },
  'console-matrix-wait-failed': { Pause: ['failed', 'FAILED', /States\.Runtime[\s\S]*SecondsPath/] },
  'console-matrix-parallel-failed': { Both: ['failed', 'FAILED', /Error\s*InnerError/], Inner: ['failed', 'FAILED', /Error\s*InnerError\s*an inner cause/] },
  'console-matrix-map-failed': {
    Each: ['failed', 'FAILED', /Error\s*ItemError/], Check: ['succeeded'], Fine: ['succeeded'], Bad: ['failed', 'FAILED', /Error\s*ItemError\s*a bad item/],
  },
  'console-matrix-caught': {
    TaskC: ['caught', 'CAUGHT ERROR', /Error\s*Broken/], MapC: ['caught', 'CAUGHT ERROR', /Error\s*MapItemError/], Boom: ['failed', 'FAILED', /MapItemError/],
    ParC: ['caught', 'CAUGHT ERROR', /Error\s*BranchError/], Crash: ['failed', 'FAILED', /BranchError/], After: ['succeeded', 'SUCCEEDED'],
  },
  'console-matrix-retried-succeeded': { Call: ['succeeded', 'SUCCEEDED', /Attempts: 2 \(1 retry\)[\s\S]*ServiceError \(TaskFailed, retried\)/] },
  'console-matrix-retried-failed': { Call: ['failed', 'FAILED', /Attempts: 3 \(2 retries\)[\s\S]*Broken \(TaskFailed, retried\)[\s\S]*Broken \(TaskFailed, retried\)[\s\S]*Broken \(TaskFailed, final\)/] },
  'console-matrix-task-timed-out': { Call: ['failed', 'TIMED OUT', /Error\s*States\.Timeout/] },
  'console-matrix-execution-timed-out': { Pause: ['aborted', 'TIMED OUT', /Was to wake up/] },
  'console-matrix-aborted': {
    Fan: ['aborted', 'ABORTED'], Work: ['aborted', 'ABORTED'], Nap: ['aborted', 'ABORTED'], Spread: ['aborted', 'ABORTED'], Doze: ['aborted', 'ABORTED'],
  },
  'console-matrix-running': {
    Fan: ['running', 'RUNNING'], Work: ['running', 'RUNNING', /Waiting for\s*a worker to take the task \(activity arn:[^)]*console-matrix-activity\)/],
    Nap: ['running', 'RUNNING', /Wakes up/], Spread: ['running', 'RUNNING'], Doze: ['running', 'RUNNING', /Wakes up/],
  },
  'console-matrix-callback': { Approve: ['running', 'RUNNING', /Waiting for\s*a callback with its task token/], Review: ['not-reached'] },
  'console-nolog': { Call: ['failed', 'FAILED', /Lambda\.ResourceNotFoundException[\s\S]*\(no log: the task wrote nothing or ran elsewhere\)/] },
};

async function statusMatrix() {
  for (const [machine, states] of Object.entries(MATRIX)) {
    check(`status matrix: ${machine}`);
    const arn = await executionOf(machine);
    await open(`#/executions/${encodeURIComponent(arn)}`);
    await expectStatuses(Object.fromEntries(Object.entries(states).map(([name, [status]]) => [name, status])));
    for (const [name, [status, word, says]] of Object.entries(states)) {
      if (!word) continue;
      await clickState(name);
      const visit = '#inspector .visit';
      assert.equal(await page.$eval(visit, (v) => v.dataset.outcome), word, `${machine}: ${name} is ${word}`);
      // Some of what the inspector says (a task's logs) arrives after it opens.
      if (says) {
        await page.waitForFunction(
          ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent || ''),
          [visit, says.source, says.flags], { timeout: 10000 },
        ).catch(() => {});
      }
      const text = await page.textContent(visit);
      const duration = await page.textContent(`${visit} .duration`);
      if (status === 'running') assert.equal(duration, 'still running', `${machine}: ${name} runs`);
      else assert.match(duration, /^\d+(\.\d+)? (ms|s)$|min/, `${machine}: ${name} has finished (${duration})`);
      if (says) assert.match(text, says, `${machine}: ${name}'s inspector says ${JSON.stringify(text.slice(0, 400))}`);
      // A retried state is not a caught one, and only a caught one says so.
      assert.equal(/caught/i.test(await page.textContent('#inspector h2')), status === 'caught', `${machine}: ${name}'s heading`);
    }
    await shot(`matrix-${machine.replace(/^console-(matrix-)?/, '')}`);
  }

  check('a Wait shows when it wakes up');
  const running = await executionOf('console-matrix-running');
  await open(`#/executions/${encodeURIComponent(running)}`);
  const nap = (await history(running)).find((e) => e.stateEnteredEventDetails?.name === 'Nap');
  await clickState('Nap');
  assert.equal(await page.textContent('#inspector .wake-up'), stamp(nap.timestamp + 3600));
  const ok = await executionOf('console-matrix-succeeded');
  await open(`#/executions/${encodeURIComponent(ok)}`);
  const pause = (await history(ok)).find((e) => e.stateEnteredEventDetails?.name === 'Pause');
  await clickState('Pause');
  assert.equal(await page.textContent('#inspector .wake-up'), stamp(pause.timestamp + 1));
}

async function detailViews() {
  check('history rows open to their event as JSON');
  const ok = await executionOf('console-matrix-succeeded');
  await open(`#/executions/${encodeURIComponent(ok)}`);
  const events = await history(ok);
  const scheduled = events.find((e) => e.type === 'TaskScheduled');
  assert.equal(await page.$$eval('#events tr.event-json', (r) => r.length), 0, 'rows start closed');
  await page.click(`#events tr.event[data-id="${scheduled.id}"] td:nth-child(2)`);
  const json = await page.textContent(`#events tr.event-json[data-for="${scheduled.id}"] pre`);
  assert.deepEqual(JSON.parse(json), scheduled, 'the whole event, as the API answers it');
  assert.equal(await page.getAttribute(`#events tr.event[data-id="${scheduled.id}"] button.expand`, 'aria-expanded'), 'true');
  await page.click(`#events tr.event[data-id="${events[0].id}"] button.expand`);
  assert.equal(await page.$$eval('#events tr.event-json', (r) => r.length), 2, 'two rows open');
  await page.locator(`#events tr.event-json[data-for="${scheduled.id}"]`).scrollIntoViewIfNeeded();
  await shot('history-expanded');
  await page.click(`#events tr.event[data-id="${scheduled.id}"] td:nth-child(2)`);
  assert.deepEqual(await page.$$eval('#events tr.event-json', (r) => r.map((x) => Number(x.dataset.for))), [events[0].id]);
  await expectHistoryRows(ok);

  check('a Map iteration picker marks failed iterations and shows one iteration');
  const iterations = await executionOf('console-iterations');
  await open(`#/executions/${encodeURIComponent(iterations)}`);
  await expectStatuses({ Each: 'succeeded', Check: 'succeeded', Fine: 'succeeded', Reject: 'failed' });
  await clickState('Each');
  const options = await page.$$eval('#iteration option', (o) => o.map((x) => [x.value, x.dataset.status || '', x.textContent]));
  assert.equal(options.length, 7, 'all iterations and each of the six');
  assert.deepEqual(options.filter(([, s]) => s === 'failed').map(([v]) => v), ['1', '4'], 'items 1 and 4 failed');
  for (const [, s, text] of options.slice(1)) assert.equal(/FAILED/.test(text), s === 'failed', text);
  assert.deepEqual(await page.$$eval('.failed-iterations .chip', (c) => c.map((x) => x.textContent)), ['#1', '#4']);
  await page.click('.failed-iterations .chip[data-index="4"]');
  await page.locator('#graph g.state[data-state="Fine"].status-not-reached').waitFor({ state: 'attached', timeout: 5000 });
  await expectStatuses({ Check: 'succeeded', Reject: 'failed', Fine: 'not-reached' });
  assert.equal(await page.inputValue('#iteration'), '4');
  await clickState('Reject');
  assert.equal(await page.$$eval('#inspector .visit', (v) => v.length), 1, 'one visit: iteration 4');
  assert.match(await page.textContent('#inspector .visit'), /Iteration\s*Each #4[\s\S]*"bad": 4/);
  await shot('map-iteration-failed');
  await page.selectOption('#iteration', '3');
  await page.locator('#graph g.state[data-state="Reject"].status-not-reached').waitFor({ state: 'attached', timeout: 5000 });
  await expectStatuses({ Check: 'succeeded', Fine: 'succeeded', Reject: 'not-reached' });
  await clickState('Fine');
  assert.match(await page.textContent('#inspector .visit'), /Iteration\s*Each #3[\s\S]*"n": 3/);
  await page.selectOption('#iteration', '');
  await page.locator('#graph g.state[data-state="Reject"].status-failed').waitFor({ state: 'attached', timeout: 5000 });

  check('a distributed Map lists its child executions, failed ones marked');
  const distributed = await executionOf('console-distributed');
  const [run] = (await sfn('ListMapRuns', { executionArn: distributed })).mapRuns;
  const children = (await sfn('ListExecutions', { mapRunArn: run.mapRunArn })).executions;
  assert.equal(children.length, 6);
  await open(`#/executions/${encodeURIComponent(distributed)}`);
  await clickState('Spread');
  await page.waitForSelector('#inspector .map-run table.children');
  const rows = await page.$$eval('#inspector .map-run tbody tr', (r) => r.map((x) => [x.querySelector('a').textContent, x.dataset.status, x.classList.contains('failed-row')]));
  assert.deepEqual(rows.map(([name]) => name).sort(), children.map((c) => c.name).sort());
  for (const [name, status, marked] of rows) {
    assert.equal(status, children.find((c) => c.name === name).status);
    assert.equal(marked, status === 'FAILED', `${name} (${status}) is marked only if it failed`);
  }
  assert.equal(rows.filter(([, status]) => status === 'FAILED').length, 2);
  assert.match(await page.textContent('#inspector .map-run-counts'), /4 succeeded, 2 failed of 6 items/);
  assert.match(await page.textContent('#exec-meta'), new RegExp(`Map runs\\s*${run.mapRunArn.split(':').pop()}`));
  await shot('map-run-children');
  await page.click('#inspector .map-run tr.failed-row a');
  await page.waitForSelector('main[data-ready="true"] #exec-status .badge.FAILED');
  await expectStatuses({ Check: 'succeeded', Refuse: 'failed', Accept: 'not-reached' });
  await clickState('Refuse');
  assert.match(await page.textContent('#inspector .visit'), /Error\s*ChildError/);
  assert.match(await page.textContent('#exec-meta'), new RegExp(`Map run of\\s*${distributed.split(':').pop()}`));
  await shot('map-run-child');

  check('a Task waiting for its token: the token, Send success, Send failure');
  const callback = await executionOf('console-matrix-callback');
  await open(`#/executions/${encodeURIComponent(callback)}`);
  const tokenOf = async (step) => {
    const e = (await history(callback)).filter((x) => x.type === 'TaskScheduled').find((x) => JSON.parse(x.taskScheduledEventDetails.parameters).Payload.step === step);
    return JSON.parse(e.taskScheduledEventDetails.parameters).Payload.token;
  };
  await clickState('Approve');
  const approve = await tokenOf('Approve');
  assert.equal(await page.textContent('#inspector .task-token'), approve);
  await page.fill('#inspector form.callback textarea[name=output]', '{"approved": true}');
  await shot('callback-waiting');
  await page.click('#inspector form.callback button[name=success]');
  await page.locator('#graph g.state[data-state="Review"].status-running').waitFor({ state: 'attached', timeout: 10000 });
  await expectStatuses({ Approve: 'succeeded', Review: 'running' });
  assert.match(await page.textContent('#inspector .state-output'), /"approved": true/);
  assert.equal(await page.$$eval('#inspector form.callback', (f) => f.length), 0, 'no callback form once answered');
  await clickState('Review');
  const review = await tokenOf('Review');
  assert.notEqual(review, approve);
  assert.equal(await page.textContent('#inspector .task-token'), review);
  await page.fill('#inspector form.callback input[name=error]', 'Rejected');
  await page.fill('#inspector form.callback input[name=cause]', 'not this time');
  await page.click('#inspector form.callback button[name=failure]');
  await page.waitForSelector('#exec-status .badge.FAILED', { timeout: 10000 });
  await expectStatuses({ Approve: 'succeeded', Review: 'failed' });
  assert.match(await page.textContent('#inspector .visit'), /Error\s*Rejected\s*not this time/);
  const ended = await sfn('DescribeExecution', { executionArn: callback });
  assert.deepEqual([ended.status, ended.error, ended.cause], ['FAILED', 'Rejected', 'not this time']);
  await shot('callback-answered');

  check('zoom, pan and fit on a large graph');
  const big = await executionOf('console-big');
  await open(`#/executions/${encodeURIComponent(big)}`);
  const scale = async () => Number(await page.$eval('#graph', (g) => g.dataset.scale));
  const step = '#graph g.state[data-state="Step01"]';
  const before = await box(step);
  const s0 = await scale();
  await page.click('#zoom [data-zoom="in"]');
  assert.ok(Math.abs(await scale() - s0 * 1.25) < 0.01, 'Zoom in scales by 1.25');
  assert.ok(Math.abs((await box(step)).w - before.w * 1.25) < 1, 'the states grow with it');
  await page.click('#zoom [data-zoom="out"]');
  assert.ok(Math.abs(await scale() - s0) < 0.01, 'Zoom out undoes it');
  const frame = await box('#graph');
  assert.ok((await box('#graph svg')).h > frame.h, 'sixty states are taller than the view');
  // Dragging pans; the drag selects nothing.
  const start = await box(step);
  await page.mouse.move(start.x + 5, start.y + 5);
  await page.mouse.down();
  await page.mouse.move(start.x + 5, start.y - 150, { steps: 5 });
  await page.mouse.up();
  const dragged = await box(step);
  assert.ok(Math.abs(dragged.y - (start.y - 155)) < 2, `the graph moved with the pointer (${start.y} → ${dragged.y})`);
  assert.match(await page.textContent('#inspector'), /Click a state/, 'a drag is not a click');
  // Ctrl + wheel zooms around the pointer.
  await page.mouse.move(frame.x + frame.w / 2, frame.y + 100);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  assert.ok(Math.abs(await scale() - s0 * 1.25) < 0.01, 'Ctrl + wheel zooms in');
  await page.click('#zoom [data-zoom="fit"]');
  const fitted = await box('#graph svg');
  assert.ok(await scale() < s0, 'Fit shrinks sixty states');
  assert.ok(fitted.x >= frame.x - 1 && fitted.y >= frame.y - 1 && fitted.x + fitted.w <= frame.x + frame.w + 1 && fitted.y + fitted.h <= frame.y + frame.h + 1,
    `the whole graph is in view (${JSON.stringify(fitted)} in ${JSON.stringify(frame)})`);
  await shot('zoom-fit');
  // States stay clickable at any scale.
  await page.click('#graph svg g.state[data-state="Step59"]');
  await page.waitForSelector('#inspector h2:has-text("Step59")');
  await page.click('#zoom [data-zoom="actual"]');
  assert.equal(await scale(), 1);
  await shot('zoom-actual');

  check('Choice rules are labelled without overlapping');
  await open(`#/machines/${encodeURIComponent(machines['console-choices'])}`);
  await page.waitForSelector('#tab-graph svg');
  const labels = await page.$$eval('#tab-graph svg g.edge-label', (gs) => gs.map((g) => {
    const t = g.querySelector('text').getBoundingClientRect();
    const r = g.querySelector('rect').getBoundingClientRect();
    return { text: g.textContent, t: { x: t.x, y: t.y, w: t.width, h: t.height }, r: { x: r.x, y: r.y, w: r.width, h: r.height } };
  }));
  assert.equal(labels.length, 5, 'one label per rule and the default');
  const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  for (let i = 0; i < labels.length; i++) {
    const { t, r } = labels[i];
    assert.ok(t.x >= r.x - 1 && t.x + t.w <= r.x + r.w + 1, `"${labels[i].text}" fits its background`);
    for (let j = i + 1; j < labels.length; j++) {
      assert.ok(!overlap(labels[i].r, labels[j].r), `"${labels[i].text}" and "${labels[j].text}" do not overlap`);
    }
  }
  await shot('choice-labels');
}

try {
  check('the machine list shows every machine');
  await open('#/');
  const names = await page.$$eval('#machines tbody tr[data-name]', (r) => r.map((x) => x.dataset.name));
  for (const n of ['console-ok', 'console-fail', 'console-caught', 'console-wait', 'console-map']) {
    assert.ok(names.includes(n), `${n} is listed: ${names}`);
  }
  await shot('machines');
  await page.fill('#search', 'console-fai');
  const filtered = await page.$$eval('#machines tbody tr[data-name]', (r) => r.map((x) => x.dataset.name));
  assert.deepEqual(filtered, ['console-fail']);

  check('a succeeded execution: states coloured, inspector, history');
  const ok = await executionOf('console-ok');
  await open(`#/executions/${encodeURIComponent(ok)}`);
  await expectStatuses({ Prepare: 'succeeded', Route: 'succeeded', Big: 'succeeded', Small: 'not-reached', Done: 'succeeded' });
  await expectHistoryRows(ok);
  await clickState('Prepare');
  const input = await page.textContent('#inspector .state-input');
  const output = await page.textContent('#inspector .state-output');
  assert.match(input, /"n": 5/);
  assert.match(output, /"label": "prepared"/);
  await shot('execution-succeeded');
  await page.fill('#event-filter', 'Route');
  const routeRows = await page.$$eval('#events tbody tr[data-type]', (r) => r.map((x) => x.dataset.type));
  assert.deepEqual(routeRows, ['ChoiceStateEntered', 'ChoiceStateExited']);

  check('a failed execution');
  const fail = await executionOf('console-fail');
  await open(`#/executions/${encodeURIComponent(fail)}`);
  await expectStatuses({ Begin: 'succeeded', Broken: 'failed' });
  await expectHistoryRows(fail);
  assert.match(await page.textContent('#exec-meta'), /Boom/);
  assert.equal(await page.isEnabled('#redrive'), true, 'Redrive is offered for a failed execution');
  assert.equal(await page.isEnabled('#stop'), false);
  await page.check('#failures-only');
  const failures = await page.$$eval('#events tbody tr[data-type]', (r) => r.map((x) => x.dataset.type));
  assert.deepEqual(failures, ['ExecutionFailed']);
  await shot('execution-failed');

  check('a caught failure');
  const caught = await executionOf('console-caught');
  await open(`#/executions/${encodeURIComponent(caught)}`);
  await expectStatuses({ Try: 'caught', Explode: 'failed', Handle: 'succeeded', Unreached: 'not-reached' });
  await clickState('Try');
  assert.match(await page.textContent('#inspector'), /Oops/);
  await shot('execution-caught');

  check('a waiting execution, live, then stopped');
  const wait = await executionOf('console-wait');
  await open(`#/executions/${encodeURIComponent(wait)}`);
  await expectStatuses({ Before: 'succeeded', Sleep: 'running', After: 'not-reached' });
  assert.match(await page.textContent('#exec-status'), /RUNNING/);
  await clickState('Sleep');
  assert.match(await page.textContent('#inspector'), /still running/);
  await shot('execution-running');
  // Live polling fetches only what is new: a page of the newest events, not the whole history.
  const received = async () => Number(await page.$eval('main', (m) => m.dataset.eventsReceived));
  const first = await received();
  assert.ok(first >= await historyLength(wait), `the first load reads the whole history (${first})`);
  await page.waitForTimeout(2500);
  const polled = (await received()) - first;
  assert.ok(polled > 0 && polled <= 3 * 25, `two polls read ${polled} events, not the whole history again`);
  await page.click('#stop');
  await page.waitForSelector('#exec-status .badge.ABORTED', { timeout: 10000 });

  check('the machine page: graph, definition, executions, Start execution');
  await open(`#/machines/${encodeURIComponent(machines['console-ok'])}`);
  assert.equal(await page.$$eval('#tab-graph svg g.state', (n) => n.length), 5);
  assert.equal(await page.$$eval('#executions tbody tr[data-status]', (r) => r.length), 1);
  await page.selectOption('#status-filter', 'FAILED');
  await page.waitForSelector('#executions tbody .empty');
  await page.click('.tabs button[data-tab="code"]');
  assert.match(await page.textContent('#tab-code'), /"StartAt": "Prepare"/);
  await shot('machine');
  await page.fill('#exec-input', '{"n": ');
  await page.click('#start button[type=submit]');
  assert.match(await page.textContent('#start-error'), /not JSON/);
  await page.fill('#exec-input', '{"n": 1}');
  await page.click('#start button[type=submit]');
  await page.waitForURL(/#\/executions\//);
  await page.waitForSelector('main[data-ready="true"]');
  await page.locator('#exec-status .badge.SUCCEEDED').waitFor({ state: 'attached', timeout: 10000 });
  await page.locator('#graph g.state[data-state="Small"].status-succeeded').waitFor({ state: 'attached', timeout: 10000 });

  check('activities');
  await open('#/activities');
  assert.match(await page.textContent('#activities'), /console-activity/);

  check('schedules and rules, with their next firing');
  await open('#/schedules');
  const nightly = page.locator('#schedules tr[data-name="console-nightly"]');
  assert.match(await nightly.textContent(), /cron\(0 3 \* \* \? \*\)/);
  assert.match(await nightly.locator('[data-next]').textContent(), /T03:00:00Z/);
  assert.match(await page.textContent('#rules tr[data-name="console-hourly"]'), /rate\(1 hour\)/);

  check('a 1,000-event history renders');
  const map = await executionOf('console-map');
  const events = await historyLength(map);
  const t0 = Date.now();
  await open(`#/executions/${encodeURIComponent(map)}`);
  await page.waitForSelector('#graph svg');
  const wall = Date.now() - t0;
  const inPage = await page.$eval('main', (m) => Number(m.dataset.renderMs));
  await expectStatuses({ Each: 'succeeded', Double: 'succeeded' });
  await expectHistoryRows(map);
  const badge = await page.textContent('#graph svg');
  assert.ok(badge.includes('250/250 iterations'), 'the Map shows its iteration count');
  await shot('execution-map');
  console.log(`browser: execution page with ${events} history events rendered in ${inPage} ms (in page, fetch to table), ${wall} ms (navigation to ready)`);

  check('a timed-out execution, redriven, then worked');
  const redrive = await executionOf('console-redrive');
  await open(`#/executions/${encodeURIComponent(redrive)}`);
  await expectStatuses({ Work: 'failed', Finish: 'not-reached' });
  assert.match(await page.textContent('#exec-meta'), /States\.Timeout/);
  const activityArn = (await sfn('ListActivities', {})).activities.find((a) => a.name === 'console-activity').activityArn;
  const polling = sfn('GetActivityTask', { activityArn, workerName: 'browser-test' });
  await page.click('#redrive');
  const task = await polling;
  assert.ok(task.taskToken, 'the redriven execution schedules the task again');
  assert.deepEqual(JSON.parse(task.input), { job: 7 });
  await sfn('SendTaskSuccess', { taskToken: task.taskToken, output: JSON.stringify({ worked: true }) });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
  await page.locator('#graph g.state[data-state="Finish"].status-succeeded').waitFor({ state: 'attached', timeout: 10000 });
  assert.equal(await page.isEnabled('#redrive'), false, 'a succeeded execution cannot be redriven');
  assert.match(await page.textContent('#exec-output'), /"worked": true/);
  await page.fill('#event-filter', 'ExecutionRedriven');
  assert.deepEqual(await page.$$eval('#events tbody tr[data-type]', (r) => r.map((x) => x.dataset.type)), ['ExecutionRedriven']);
  await shot('execution-redriven');

  check('task logs in the inspector');
  const logs = await executionOf('console-logs');
  await open(`#/executions/${encodeURIComponent(logs)}`);
  await expectStatuses({ Container: 'succeeded', Function: 'succeeded' });
  await clickState('Container');
  await page.locator('#inspector pre.task-log', { hasText: /task stderr line/ }).waitFor({ state: 'attached', timeout: 10000 });
  assert.match(await page.textContent('#inspector'), /Logs: ECS task [0-9a-f]{32}/);
  assert.match(await page.textContent('#inspector pre.task-log'), /task args:/);
  await shot('execution-logs-ecs');
  await clickState('Function');
  await page.locator('#inspector pre.task-log', { hasText: /echo: got an event/ }).waitFor({ state: 'attached', timeout: 10000 });
  const fnLog = await page.textContent('#inspector pre.task-log');
  assert.equal(fnLog.trim(), 'echo: got an event', 'only this invocation\'s log');
  assert.match(await page.textContent('#inspector'), /Logs: function ConsoleEcho, request /);
  await shot('execution-logs-function');

  check('a Parallel shows how many of its branches are done');
  const parallel = await executionOf('console-parallel');
  await open(`#/executions/${encodeURIComponent(parallel)}`);
  await expectStatuses({ Fan: 'running', Quick: 'succeeded', Slow: 'running', Slower: 'running' });
  assert.ok((await page.textContent('#graph svg')).includes('1/3 branches'), 'the Parallel shows 1/3 branches');
  await shot('execution-parallel');
  await page.click('#stop');
  await page.waitForSelector('#exec-status .badge.ABORTED', { timeout: 10000 });
  await page.locator('#graph g.state[data-state="Slow"].status-aborted').waitFor({ state: 'attached', timeout: 10000 });
  await expectStatuses({ Fan: 'aborted', Quick: 'succeeded', Slow: 'aborted', Slower: 'aborted' });

  await statusMatrix();

  check('sixty states stay readable');
  const big = await executionOf('console-big');
  await open(`#/executions/${encodeURIComponent(big)}`);
  const boxes = await page.$$eval('#graph svg g.state', (nodes) => nodes.map((n) => {
    const r = n.getBoundingClientRect();
    const label = n.querySelector('text');
    return { name: n.dataset.state, x: r.x, y: r.y, w: r.width, h: r.height, text: label ? label.getBoundingClientRect().height : 0 };
  }));
  assert.equal(boxes.length, 60, 'every state is drawn');
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    assert.ok(a.text >= 9, `${a.name}'s label is at least 9 px high on screen (${a.text.toFixed(1)})`);
    for (let j = i + 1; j < boxes.length; j++) {
      const b = boxes[j];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `${a.name} and ${b.name} do not overlap`);
    }
  }
  const bigOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(bigOverflow <= 0, `no horizontal scrolling with sixty states (overflow ${bigOverflow} px)`);
  await expectStatuses({ Step00: 'succeeded', Step59: 'succeeded' });
  await shot('execution-sixty-states');

  check('a laptop screen and a wide screen');
  for (const [name, width, height] of [['laptop', 1280, 800], ['wide', 2560, 1300]]) {
    await page.setViewportSize({ width, height });
    await open(`#/executions/${encodeURIComponent(caught)}`);
    await expectStatuses({ Try: 'caught', Handle: 'succeeded' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (overflow ${overflow} px)`);
    const graph = await page.$eval('#graph svg', (svg) => svg.getBoundingClientRect().width);
    assert.ok(graph > 0 && graph <= width, `the graph fits at ${width} px (${graph} px)`);
    await shot(`execution-caught-${name}`);
  }
  await page.setViewportSize({ width: 1440, height: 1000 });

  await detailViews();

  assert.deepEqual(problems, [], 'no script errors or failed requests on any page');
  console.log('browser: all checks passed');
} catch (e) {
  console.error(`browser: FAILED at "${step}": ${e.message}`);
  if (problems.length) console.error(problems.join('\n'));
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
