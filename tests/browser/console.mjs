// The console in headless Chromium, against a `baton serve` that crates/cli/tests/browser.rs
// has filled: machines console-ok, console-fail, console-caught, console-wait, console-map,
// console-redrive, console-logs, console-parallel and console-big, and activity
// console-activity, one execution each. Usage: node console.mjs <endpoint>
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

async function clickState(name) {
  // The top left corner: a Map or Parallel box holds other states in its middle.
  await page.click(`#graph svg g.state[data-state="${name}"]`, { position: { x: 12, y: 8 } });
  await page.waitForSelector(`#inspector h2:has-text("${name}")`);
}

try {
  check('the machine list shows every machine');
  await open('#/');
  const names = await page.$$eval('#machines tbody tr[data-name]', (r) => r.map((x) => x.dataset.name));
  for (const n of ['console-ok', 'console-fail', 'console-caught', 'console-wait', 'console-map']) {
    assert.ok(names.includes(n), `${n} is listed: ${names}`);
  }
  await shot('machines');
  await page.fill('#search', 'fail');
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

  assert.deepEqual(problems, [], 'no script errors on any page');
  console.log('browser: all checks passed');
} catch (e) {
  console.error(`browser: FAILED at "${step}": ${e.message}`);
  if (problems.length) console.error(problems.join('\n'));
  await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
