// What an execution's event history says about each state: the status the graph colours it
// with, and every visit (entry) with its input, output, attempts, error and timings for the
// inspector.
//
// Events point at their cause through `previousEventId`; a state's events hang off its
// `*StateEntered` event, so walking that chain attributes every event to a visit. A visit's
// attempts are its `*Scheduled` (Task) or `*StateStarted` (Parallel, Map) events; a failure
// followed by another attempt was retried. The failure no attempt follows is the visit's final
// one. Statuses (the graph's classes) and outcomes (the inspector's words):
//   running     entered, not exited, execution still running               RUNNING
//   succeeded   exited with no final failure (retried failures allowed)     SUCCEEDED
//   caught      a final failure, then the state exited (a Catcher)          CAUGHT ERROR
//   failed      a final failure and never exited, or a Fail state           FAILED, TIMED OUT
//   aborted     still open when the execution ended another way (stopped,   ABORTED, TIMED OUT
//               timed out, failed elsewhere)
//   not-reached never entered (left out of the map: the graph draws it so)
// A state entered several times (a loop, Map iterations) shows the worst of its visits:
// failed, running, aborted, caught, then succeeded.

const RANK = { failed: 5, running: 4, aborted: 3, caught: 2, succeeded: 1 };

// Failure events of a state. Map iterations failing are the Map's business (its own
// MapStateFailed says whether the Map failed).
function isFailure(type) {
  if (type.startsWith('Execution') || type.startsWith('MapIteration') || type.startsWith('MapRun')) return false;
  return /(Failed|TimedOut|Aborted)$/.test(type);
}

const ATTEMPT = /^(Task|Activity|LambdaFunction)Scheduled$|^(Parallel|Map)StateStarted$/;
const COMPOUND_FAILURE = /^(Parallel|Map)State(Failed|Aborted)$/;

export function details(event) {
  const entry = Object.entries(event).find(([k]) => k.endsWith('EventDetails'));
  return entry ? entry[1] : {};
}

// Every state of a definition by name (names are unique across a whole state machine), with
// the name of the Map whose iterations run it, if any.
export function statesOf(definition) {
  let machine;
  try { machine = typeof definition === 'string' ? JSON.parse(definition) : definition; } catch { return new Map(); }
  const found = new Map();
  const walk = (states, map) => {
    for (const [name, state] of Object.entries(states || {})) {
      if (!state || typeof state !== 'object') continue;
      found.set(name, { state, map });
      for (const branch of state.Branches || []) walk(branch.States, map);
      if (state.Type === 'Map') walk((state.ItemProcessor || state.Iterator || {}).States, name);
    }
  };
  walk(machine && machine.States, null);
  return found;
}

// A reference path (`$.a.b`, `$['a'][0]`, `$`) read from a value; undefined when it is not
// one or leads nowhere. Enough for the paths Wait and Fail states name.
export function readPath(value, path) {
  if (typeof path !== 'string' || !path.startsWith('$')) return undefined;
  const steps = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])));
  }
  let at = value;
  for (const step of steps) {
    if (at === null || typeof at !== 'object' || !(step in at)) return undefined;
    at = at[step];
  }
  return at;
}

// A state's effective input as the visit's events give it: `InputPath` applied to the raw input.
export function effectiveInput(visit, state) {
  let value;
  try { value = JSON.parse(visit.input); } catch { return undefined; }
  if (state && typeof state.InputPath === 'string') value = readPath(value, state.InputPath);
  return value;
}

export function analyse(events, executionStatus, definition) {
  const states = statesOf(definition);
  const byId = new Map();
  for (const e of events) byId.set(e.id, e);
  const visits = []; // every *StateEntered, in order
  const visitOf = new Map(); // event id -> visit
  const open = new Map(); // entered event id -> visit, not exited yet

  // The nearest visit above `event` that `accept` takes.
  const up = (event, accept) => {
    let id = event.previousEventId;
    for (let guard = 0; id && guard < 100000; guard++) {
      const v = visitOf.get(id);
      if (v && v.entered.id === id && accept(v)) return v;
      const prev = byId.get(id);
      if (!prev) break;
      id = prev.previousEventId;
    }
    return null;
  };
  // The Map iteration a new visit runs in: the nearest MapIterationStarted above it, or the
  // iteration of the nearest visit above it (a state after a Map is in the Map's own scope).
  const iterationAbove = (event) => {
    let id = event.previousEventId;
    for (let guard = 0; id && guard < 100000; guard++) {
      const prev = byId.get(id);
      if (!prev) break;
      if (prev.type === 'MapIterationStarted') {
        const map = visitOf.get(id);
        return map ? { map, index: details(prev).index } : null;
      }
      const v = visitOf.get(id);
      if (v) return v.iteration;
      id = prev.previousEventId;
    }
    return null;
  };

  for (const e of events) {
    const type = e.type || '';
    // The event a Fail state's entry caused ends it (an execution's, a branch's or an
    // iteration's failure).
    const before = visitOf.get(e.previousEventId);
    if (before && before.kind === 'Fail' && before.entered.id === e.previousEventId && before.end === undefined) {
      before.end = e.timestamp;
    }
    if (type.endsWith('StateEntered')) {
      const d = e.stateEnteredEventDetails || {};
      const v = {
        name: d.name, kind: type.slice(0, -'StateEntered'.length), entered: e, input: d.input,
        exited: null, output: undefined, failures: [], events: [e],
        iteration: iterationAbove(e), iterations: new Map(),
      };
      visits.push(v);
      visitOf.set(e.id, v);
      // A Fail state ends its scope on entry: nothing after it belongs to it.
      if (v.kind !== 'Fail') open.set(e.id, v);
      continue;
    }
    if (type.endsWith('StateExited')) {
      const d = e.stateExitedEventDetails || {};
      let v = up(e, (c) => c.name === d.name && open.has(c.entered.id));
      if (!v) v = [...open.values()].reverse().find((c) => c.name === d.name) || null;
      if (v) {
        v.exited = e; v.output = d.output; v.events.push(e);
        open.delete(v.entered.id);
        visitOf.set(e.id, v);
      }
      continue;
    }
    if (type === 'ExecutionFailed') {
      // The state whose failure ended the execution: a Fail state, a Choice with no match, a
      // path that led nowhere, or a failure already recorded (which may lack its error).
      const v = before;
      const d = e.executionFailedEventDetails || {};
      if (v && v.kind === 'Fail') {
        v.error = d.error; v.cause = d.cause;
      } else if (v) {
        const last = v.failures[v.failures.length - 1];
        if (last && !last.error) { last.error = d.error; last.cause = d.cause; }
        else if (!last) v.failures.push({ type, error: d.error, cause: d.cause, event: e });
      }
      continue;
    }
    // The execution's own events belong to no state.
    if (type.startsWith('Execution')) continue;
    if (type.startsWith('MapIteration')) {
      const d = details(e);
      const map = up(e, (c) => c.kind === 'Map' && c.name === d.name && open.has(c.entered.id));
      if (map && d.index !== undefined) {
        const status = type === 'MapIterationStarted' ? 'running'
          : type === 'MapIterationSucceeded' ? 'succeeded'
            : type === 'MapIterationAborted' ? 'aborted' : 'failed';
        map.iterations.set(d.index, status);
      }
    }
    const compound = COMPOUND_FAILURE.test(type);
    let v = compound
      ? up(e, (c) => (c.kind === 'Parallel' || c.kind === 'Map') && open.has(c.entered.id) && !c.failures.length)
      : up(e, (c) => open.has(c.entered.id));
    if (!v) v = [...open.values()].pop() || null;
    if (v) {
      v.events.push(e);
      visitOf.set(e.id, v);
      if (type === 'MapRunStarted') v.mapRunArn = (e.mapRunStartedEventDetails || {}).mapRunArn;
      if (isFailure(type)) {
        const dd = details(e);
        v.failures.push({ type, error: dd.error, cause: dd.cause, event: e });
      }
    }
  }

  const running = executionStatus === 'RUNNING' || executionStatus === undefined;
  // When the execution ended: the end of the states it cut off.
  const ending = events.filter((e) => /^Execution(Failed|Aborted|TimedOut)$/.test(e.type)).pop();
  const context = { running, executionStatus, end: ending && ending.timestamp };
  for (const v of visits) settle(v, context, states.get(v.name));
  // A Parallel's or Map's failure carries no error: it is the one of the state inside that
  // failed (the nearest visit with an error up the failure's chain).
  for (const v of visits) {
    if (!v.final || v.error !== undefined || !COMPOUND_FAILURE.test(v.final.type)) continue;
    let id = v.final.event.previousEventId;
    for (let guard = 0; id && guard < 100000; guard++) {
      const inner = visitOf.get(id);
      if (inner && inner !== v && inner.error !== undefined) {
        v.error = inner.error; v.cause = inner.cause;
        break;
      }
      const prev = byId.get(id);
      id = prev && prev.previousEventId;
    }
  }
  // The state each event belongs to, for the history table.
  const stateOf = new Map();
  for (const [id, v] of visitOf) stateOf.set(id, v.name);
  const model = { visits, stateOf, states };
  model.statuses = statusesOf(visits);
  model.badges = iterationBadges(visits);
  return model;
}

// A visit's attempts, retries, status, outcome, end and duration.
function settle(v, { running, executionStatus, end }, known) {
  const attempts = v.events.filter((e) => ATTEMPT.test(e.type));
  v.retries = Math.max(0, attempts.length - 1);
  for (const f of v.failures) f.retried = attempts.some((a) => a.id > f.event.id);
  const final = v.failures.filter((f) => !f.retried).pop() || null;
  v.final = final;
  if (v.kind === 'Fail') {
    v.status = 'failed'; v.outcome = 'FAILED';
    // Inside a branch or an iteration the error is the definition's (or read from its paths).
    const state = known ? known.state : {};
    if (v.error === undefined) v.error = state.Error ?? readPath(effectiveInput(v, state), state.ErrorPath);
    if (v.cause === undefined) v.cause = state.Cause ?? readPath(effectiveInput(v, state), state.CausePath);
    if (v.end === undefined) v.end = v.entered.timestamp;
  } else if (v.exited) {
    v.status = final ? 'caught' : 'succeeded';
    v.outcome = final ? 'CAUGHT ERROR' : 'SUCCEEDED';
    v.end = v.exited.timestamp;
  } else if (final) {
    const aborted = /Aborted$/.test(final.type);
    v.status = aborted ? 'aborted' : 'failed';
    v.outcome = aborted ? 'ABORTED' : /TimedOut$/.test(final.type) ? 'TIMED OUT' : 'FAILED';
    v.end = final.event.timestamp;
  } else if (running) {
    v.status = 'running'; v.outcome = 'RUNNING';
  } else if (executionStatus === 'SUCCEEDED') {
    v.status = 'succeeded'; v.outcome = 'SUCCEEDED';
  } else {
    // Cut off: the execution was stopped, timed out or failed in another branch.
    v.status = 'aborted';
    v.outcome = executionStatus === 'TIMED_OUT' ? 'TIMED OUT' : 'ABORTED';
    v.end = end;
  }
  if (final && final.error !== undefined) { v.error = final.error; v.cause = final.cause; }
  const start = v.entered.timestamp;
  v.ms = v.end !== undefined && start !== undefined ? (v.end - start) * 1000 : undefined;
}

// Whether a visit runs in iteration `index` of the visit `map` (at any depth).
export function inIteration(v, map, index) {
  for (let it = v.iteration; it; it = it.map.iteration) {
    if (it.map === map) return it.index === index;
  }
  return false;
}

// The graph's status of each state: the worst of its visits that `keep` takes.
export function statusesOf(visits, keep = () => true) {
  const statuses = {};
  for (const v of visits) {
    if (!v.name || !keep(v)) continue;
    if (!statuses[v.name] || RANK[v.status] > RANK[statuses[v.name]]) statuses[v.name] = v.status;
  }
  return statuses;
}

// "done/started iterations" for each Map, over all its visits.
function iterationBadges(visits) {
  const counts = {};
  for (const v of visits) {
    if (v.kind !== 'Map' || !v.iterations.size) continue;
    const c = counts[v.name] || (counts[v.name] = { done: 0, all: 0 });
    for (const status of v.iterations.values()) {
      c.all++;
      if (status !== 'running') c.done++;
    }
  }
  const badges = {};
  for (const [name, c] of Object.entries(counts)) badges[name] = `${c.done}/${c.all} iterations`;
  return badges;
}

// Per-branch progress of each Parallel state, as graph badges: "done/all branches" for its
// latest visit. A branch is done once one of its last states (End, Succeed, Fail) has ended
// after the Parallel was entered. (State names are unique across a whole state machine.)
export function branchBadges(definition, visits) {
  let machine;
  try { machine = typeof definition === 'string' ? JSON.parse(definition) : definition; } catch { return {}; }
  const badges = {};
  const lastVisit = (name) => {
    let found = null;
    for (const v of visits) if (v.name === name) found = v;
    return found;
  };
  const walk = (states) => {
    for (const [name, state] of Object.entries(states || {})) {
      if (!state || typeof state !== 'object') continue;
      const nested = state.Type === 'Parallel' ? (state.Branches || [])
        : state.Type === 'Map' ? [state.ItemProcessor || state.Iterator || {}] : [];
      for (const set of nested) walk(set.States);
      if (state.Type !== 'Parallel') continue;
      const parallel = lastVisit(name);
      if (!parallel) continue;
      const since = parallel.entered.id;
      const branches = state.Branches || [];
      const done = branches.filter((branch) => Object.entries(branch.States || {}).some(([n, s]) => {
        if (!(s.End || s.Type === 'Succeed' || s.Type === 'Fail')) return false;
        return visits.some((v) => v.name === n && v.entered.id > since && (v.exited || v.kind === 'Fail'));
      })).length;
      badges[name] = `${done}/${branches.length} branches`;
    }
  };
  walk(machine && machine.States);
  return badges;
}
