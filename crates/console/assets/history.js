// What an execution's event history says about each state: the status the graph colours it
// with, and every visit (entry) with its input, output, error and timings for the inspector.
//
// Events point at their cause through `previousEventId`; a state's events hang off its
// `*StateEntered` event, so walking that chain attributes every event to a visit. Statuses:
//   running     entered, not exited, execution still running
//   succeeded   exited with no failure on the way
//   caught      a failure, then the state exited anyway (a Catcher took over)
//   failed      a failure (or a Fail state) and never exited
//   not-reached never entered (left out of the map: the graph draws it so)
// A state entered several times (a loop, Map iterations) shows the worst of its visits:
// failed, then running, then caught, then succeeded.

const RANK = { failed: 4, running: 3, caught: 2, succeeded: 1 };

// Failure events of a state. Map iterations failing are the Map's business (its own
// MapStateFailed says whether the Map failed).
function isFailure(type) {
  if (type.startsWith('Execution') || type.startsWith('MapIteration') || type.startsWith('MapRun')) return false;
  return /(Failed|TimedOut|Aborted)$/.test(type);
}

const COMPOUND_FAILURE = /^(Parallel|Map)State(Failed|Aborted)$/;

export function analyse(events, executionStatus) {
  const byId = new Map();
  for (const e of events) byId.set(e.id, e);
  const visits = []; // every *StateEntered, in order
  const visitOf = new Map(); // event id -> visit
  const open = new Map(); // entered event id -> visit, not exited yet
  const badges = {};
  const iterations = {}; // Map state name -> {started, succeeded, failed}

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

  for (const e of events) {
    const type = e.type || '';
    if (type.endsWith('StateEntered')) {
      const d = e.stateEnteredEventDetails || {};
      const v = {
        name: d.name, kind: type.slice(0, -'StateEntered'.length), entered: e, input: d.input,
        exited: null, output: undefined, failures: [], events: [e],
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
    if (type.startsWith('MapIteration')) {
      const d = e.mapIterationStartedEventDetails || e.mapIterationSucceededEventDetails
        || e.mapIterationFailedEventDetails || e.mapIterationAbortedEventDetails || {};
      if (d.name) {
        const it = iterations[d.name] || (iterations[d.name] = { started: 0, succeeded: 0, failed: 0 });
        if (type === 'MapIterationStarted') it.started++;
        else if (type === 'MapIterationSucceeded') it.succeeded++;
        else it.failed++;
      }
    }
    // The execution's own events belong to no state.
    if (type.startsWith('Execution')) continue;
    const compound = COMPOUND_FAILURE.test(type);
    let v = compound
      ? up(e, (c) => (c.kind === 'Parallel' || c.kind === 'Map') && open.has(c.entered.id) && !c.failures.length)
      : up(e, (c) => open.has(c.entered.id));
    if (!v) v = [...open.values()].pop() || null;
    if (v) {
      v.events.push(e);
      visitOf.set(e.id, v);
      if (isFailure(type)) {
        const details = Object.entries(e).find(([k]) => k.endsWith('EventDetails'));
        const dd = details ? details[1] : {};
        v.failures.push({ type, error: dd.error, cause: dd.cause, event: e });
      }
    }
  }

  const running = executionStatus === 'RUNNING' || executionStatus === undefined;
  const statuses = {};
  for (const v of visits) {
    let s;
    if (v.kind === 'Fail') s = 'failed';
    else if (v.exited) s = v.failures.length ? 'caught' : 'succeeded';
    else if (v.failures.length) s = 'failed';
    else s = running ? 'running' : (executionStatus === 'SUCCEEDED' ? 'succeeded' : 'failed');
    v.status = s;
    const start = v.entered.timestamp;
    const end = v.exited ? v.exited.timestamp : (v.failures.length ? v.failures[v.failures.length - 1].event.timestamp : undefined);
    v.ms = end !== undefined && start !== undefined ? (end - start) * 1000 : undefined;
    if (!v.name) continue;
    if (!statuses[v.name] || RANK[s] > RANK[statuses[v.name]]) statuses[v.name] = s;
  }
  for (const [name, it] of Object.entries(iterations)) {
    badges[name] = `${it.succeeded + it.failed}/${it.started} iterations`;
  }
  // The state each event belongs to, for the history table.
  const stateOf = new Map();
  for (const [id, v] of visitOf) stateOf.set(id, v.name);
  return { statuses, badges, visits, stateOf };
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
