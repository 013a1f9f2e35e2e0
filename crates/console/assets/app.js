// The console's entry point: hash routes to pages.
//   #/                      state machines
//   #/machines/<arn>        one state machine (or version)
//   #/executions/<arn>      one execution
//   #/activities            activities
//   #/schedules             schedules and rules

import { esc } from './api.js';
import { machinesPage, machinePage, activitiesPage, schedulesPage } from './pages.js';
import { executionPage } from './execution.js';
import { AUTH_ERRORS, savedKey, saveKey } from './sign.js';

const main = document.getElementById('main');
let generation = 0;

async function route() {
  const current = ++generation;
  const isCurrent = () => current === generation;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, queryString] = hash.split('?');
  const [page, ...rest] = path.split('/');
  const arg = decodeURIComponent(rest.join('/'));
  const query = new URLSearchParams(queryString || '');
  for (const a of document.querySelectorAll('[data-nav]')) {
    const nav = page === 'activities' || page === 'schedules' ? page : 'machines';
    a.classList.toggle('active', a.dataset.nav === nav);
  }
  delete main.dataset.ready;
  main.innerHTML = '<p class="muted">Loading…</p>';
  try {
    if (page === 'machines' && arg) await machinePage(main, arg);
    else if (page === 'executions' && arg) await executionPage(main, arg, isCurrent);
    else if (page === 'activities') await activitiesPage(main);
    else if (page === 'schedules') await schedulesPage(main);
    else await machinesPage(main, query);
    if (isCurrent()) main.dataset.ready = 'true';
  } catch (e) {
    if (!isCurrent()) return;
    if (AUTH_ERRORS.has(e.code)) signIn(e);
    else main.innerHTML = `<div class="card error" role="alert">${esc(e.message)}</div>`;
    main.dataset.ready = 'true';
  }
  showKey();
}

// The server checks signatures: ask for a key pair (kept for this tab only) and sign with it.
function signIn(error) {
  const key = savedKey();
  main.innerHTML = `
    <form class="card signin" id="signin">
      <h2>Sign in</h2>
      <p class="muted">This server needs requests signed with one of its keys.
        ${key ? `<br><span role="alert">${esc(error.message)}</span>` : ''}</p>
      <label>Access key id <input name="id" autocomplete="username" required value="${esc(key?.id || '')}"></label>
      <label>Secret access key <input name="secret" type="password" autocomplete="current-password" required></label>
      <label>Region <input name="region" value="${esc(key?.region || 'us-east-1')}" required></label>
      <button type="submit">Sign in</button>
    </form>`;
  main.querySelector('#signin').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    saveKey({ id: form.get('id').trim(), secret: form.get('secret'), region: form.get('region').trim() });
    route();
  });
}

// The key signed with, and a way to stop using it, in the header.
function showKey() {
  let holder = document.getElementById('key');
  const key = savedKey();
  if (!key) {
    holder?.remove();
    return;
  }
  if (!holder) {
    holder = document.createElement('span');
    holder.id = 'key';
    holder.className = 'key';
    document.querySelector('header.top').append(holder);
  }
  holder.innerHTML = `<span class="muted">${esc(key.id)}</span> <button type="button">Sign out</button>`;
  holder.querySelector('button').addEventListener('click', () => {
    saveKey(null);
    route();
  });
}

window.addEventListener('hashchange', route);
route();
