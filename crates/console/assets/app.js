// The console's entry point: hash routes to pages.
//   #/                      state machines
//   #/machines/<arn>        one state machine (or version)
//   #/executions/<arn>      one execution
//   #/activities            activities

import { esc } from './api.js';
import { machinesPage, machinePage, activitiesPage } from './pages.js';
import { executionPage } from './execution.js';

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
    a.classList.toggle('active', a.dataset.nav === (page === 'activities' ? 'activities' : 'machines'));
  }
  delete main.dataset.ready;
  main.innerHTML = '<p class="muted">Loading…</p>';
  try {
    if (page === 'machines' && arg) await machinePage(main, arg);
    else if (page === 'executions' && arg) await executionPage(main, arg, isCurrent);
    else if (page === 'activities') await activitiesPage(main);
    else await machinesPage(main, query);
    if (isCurrent()) main.dataset.ready = 'true';
  } catch (e) {
    if (isCurrent()) {
      main.innerHTML = `<div class="card error" role="alert">${esc(e.message)}</div>`;
      main.dataset.ready = 'true';
    }
  }
}

window.addEventListener('hashchange', route);
route();
