// The console in headless Chromium against a `baton serve` with keys configured, which
// crates/cli/tests/browser.rs has given one machine (console-signed) and one execution of it
// (whose Task invoked the function SignedEcho) in the key's account. The page asks for a key,
// refuses a wrong secret with the server's words, then signs every call it makes: the API, the
// graph, a task's log. Usage: node signin.mjs <endpoint> <access key id> <secret> <execution arn>
//
// Exits non-zero on the first failed check; a screenshot of the failure goes to
// $BATON_BROWSER_ARTIFACTS (default target/browser-artifacts).

import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [endpoint, keyId, secret, executionArn] = process.argv.slice(2);
if (!executionArn) {
  console.error('usage: node signin.mjs <endpoint> <access key id> <secret> <execution arn>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.BATON_BROWSER_ARTIFACTS || resolve(here, '../../target/browser-artifacts');
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.BATON_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
// Once signed in, every request answers below 400.
let signedIn = false;
page.on('response', (r) => {
  if (signedIn && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
});

let step = 'start';
const check = (name) => { step = name; console.log(`browser: ${name}`); };
const ready = () => page.waitForSelector('main[data-ready="true"]', { timeout: 20000 });

async function signIn(withSecret) {
  await page.fill('#signin input[name="id"]', keyId);
  await page.fill('#signin input[name="secret"]', withSecret);
  await page.evaluate(() => { delete document.getElementById('main').dataset.ready; });
  await page.click('#signin button[type="submit"]');
  await ready();
}

try {
  check('an unsigned page asks for a key');
  await page.goto(`${endpoint}/`);
  await ready();
  await page.waitForSelector('#signin');

  check('a wrong secret is refused in the server\'s words');
  await signIn('not-the-secret');
  await page.waitForSelector('#signin');
  const said = await page.textContent('#signin');
  assert.match(said, /signature we calculated does not match/, said);

  check('the right key lists the account\'s machines');
  await signIn(secret);
  signedIn = true;
  await page.waitForSelector('main a:has-text("console-signed")', { timeout: 20000 });
  assert.equal(await page.$('#signin'), null);
  assert.match(await page.textContent('#key'), new RegExp(keyId));

  check('the execution page draws its graph and history, signed');
  await page.goto(`${endpoint}/#/executions/${encodeURIComponent(executionArn)}`);
  await ready();
  await page.waitForSelector('#graph svg g.state[data-state="Call"]', { timeout: 20000 });
  await page.waitForSelector('#events tbody tr[data-type="ExecutionSucceeded"]', { timeout: 20000 });

  check('a task\'s log is read signed, query string and all');
  const log = await page.evaluate(async () => {
    const { signedFetch } = await import('/console/sign.js');
    const response = await signedFetch('console/api/logs/functions/SignedEcho?optional=true');
    return { status: response.status, text: await response.text() };
  });
  assert.equal(log.status, 200, JSON.stringify(log));
  assert.match(log.text, /RequestId/, JSON.stringify(log));

  check('signing out asks for a key again');
  signedIn = false;
  await page.evaluate(() => { delete document.getElementById('main').dataset.ready; });
  await page.click('#key button');
  await ready();
  await page.waitForSelector('#signin');

  assert.deepEqual(problems, []);
  console.log('browser: signed console checks passed');
} catch (e) {
  console.error(`browser: failed at "${step}": ${e.stack || e}`);
  if (problems.length) console.error(problems.join('\n'));
  await page.screenshot({ path: join(artifacts, 'signin-failure.png'), fullPage: true }).catch(() => {});
  process.exitCode = 1;
} finally {
  await browser.close();
}
