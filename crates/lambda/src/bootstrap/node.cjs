// Baton's Node.js runtime for Lambda handlers: loads the handler named by _HANDLER from
// LAMBDA_TASK_ROOT, then takes invocations from Lambda's Runtime API (AWS_LAMBDA_RUNTIME_API)
// one at a time until it is stopped.
//
// What it imitates, and where that is written down:
// * loading (`file.export`, CommonJS or ES module, package.json "type"), the handler errors
//   and their wording: aws-lambda-nodejs-runtime-interface-client, src/UserFunction.js and
//   src/Errors.js (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`,
//   `Runtime.MalformedHandlerName`, `Runtime.UserCodeSyntaxError`);
// * an error as the runtime reports it, `{errorType: error.name, errorMessage, trace}`:
//   src/Errors.js `toRapidResponse`;
// * the context object and the callback forms (`callback`, `context.succeed/fail/done`):
//   the Lambda developer guide, "Using the Lambda context object to retrieve Node.js function
//   information" and "Define Lambda function handler in Node.js";
// * console lines `<timestamp>\t<requestId>\t<LEVEL>\t<message>`: the developer guide, "Log
//   and monitor Node.js Lambda functions".

'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const ROOT = process.env.LAMBDA_TASK_ROOT || process.cwd();
const HANDLER = process.env._HANDLER || '';
const BASE = '/2018-06-01/runtime';
// Written after an invocation's output and before its result: Baton files the lines before it
// under that invocation's request id.
const END = '\x1ebaton-end:';

// The Runtime API over one kept-alive connection, HTTP/1.1 written by hand: the result of an
// invocation and the request for the next one go out together (pipelined, one write), and
// the answers come back in order. Baton's Runtime API always answers with a Content-Length.
const [host, port] = API.split(':');
let socket = null;
// Received bytes not yet answered, as chunks: joined only once a whole response may be there
// (`needed`), so that a large event is copied once, not once per chunk.
let chunks = [];
let received = 0;
let needed = 0;
const waiting = [];

function onData(chunk) {
  chunks.push(chunk);
  received += chunk.length;
  while (waiting.length && received >= needed && received > 0) {
    const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    chunks = [buf];
    const response = parseResponse(buf);
    if (!response) {
      needed = response === null ? received + 1 : needed;
      return;
    }
    const rest = buf.subarray(response.size);
    chunks = rest.length ? [rest] : [];
    received = rest.length;
    needed = 0;
    waiting.shift().resolve(response);
  }
}

function connect() {
  const s = net.connect({ host, port: Number(port) });
  s.setNoDelay(true);
  s.on('data', onData);
  const fail = (error) => {
    if (socket === s) socket = null;
    chunks = [];
    received = 0;
    needed = 0;
    while (waiting.length) waiting.shift().reject(error || new Error('connection closed'));
  };
  s.on('error', fail);
  s.on('close', () => fail(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
  socket = s;
  return s;
}

function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] || 0);
  if (buf.length < end + 4 + length) {
    needed = end + 4 + length;
    return undefined;
  }
  return { status, headers, body: buf.subarray(end + 4, end + 4 + length), size: end + 4 + length };
}

// Writes requests (already formatted) in one write; a promise of each one's response.
function send(...requests) {
  const s = socket || connect();
  const answers = requests.map(
    () => new Promise((resolve, reject) => waiting.push({ resolve, reject })),
  );
  s.cork();
  for (const r of requests) s.write(r);
  s.uncork();
  return answers;
}

const NEXT = Buffer.from(`GET ${'/2018-06-01/runtime'}/invocation/next HTTP/1.1\r\nHost: ${API}\r\n\r\n`);

function postRequest(url, value, headers) {
  const body = Buffer.from(value);
  let head = `POST ${url} HTTP/1.1\r\nHost: ${API}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
}

function post(url, value, headers) {
  return send(postRequest(url, value, headers))[0];
}

class RuntimeError extends Error {}
function runtimeError(kind, message) {
  const e = new RuntimeError(message);
  e.name = `Runtime.${kind}`;
  return e;
}

// The error as the runtime posts it (Errors.js `toRapidResponse`).
function toResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: String(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function isErrorLike(o) {
  return (
    o &&
    typeof o.name === 'string' &&
    typeof o.message === 'string' &&
    typeof o.stack === 'string'
  );
}

let currentRequestId = '';
// An invocation has been taken and not yet answered.
let inProgress = false;
// Whether anything was written since the last end mark: without output, no mark is needed.
let wrote = true;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (...args) => {
    wrote = true;
    return write(...args);
  };
}

function patchConsole() {
  const write = (level) =>
    function (...args) {
      const line = `${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${util.format(...args)}\n`;
      process.stdout.write(line);
    };
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.trace = write('TRACE');
}

function packageIsModule(folder) {
  for (;;) {
    if (folder.endsWith(`${path.sep}node_modules`)) return false;
    const pj = path.join(folder, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const parent = path.dirname(folder);
    if (parent === folder) return false;
    folder = parent;
  }
}

async function loadModule(file) {
  const exists = (f) => fs.existsSync(f) && fs.statSync(f).isFile();
  if (exists(file)) return require(file);
  const isModule = packageIsModule(path.dirname(file));
  if (!isModule && exists(`${file}.js`)) return require(`${file}.js`);
  if (isModule && exists(`${file}.js`)) return import(pathToFileURL(`${file}.js`).href);
  if (exists(`${file}.mjs`)) return import(pathToFileURL(`${file}.mjs`).href);
  if (exists(`${file}.cjs`)) return require(`${file}.cjs`);
  // Not a file under the code folder: a package name, resolved from there.
  return require(require.resolve(path.basename(file), { paths: [ROOT, path.dirname(file)] }));
}

async function loadHandler() {
  if (HANDLER.includes('..')) {
    throw runtimeError(
      'MalformedHandlerName',
      `'${HANDLER}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const base = path.basename(HANDLER);
  const moduleRoot = HANDLER.substring(0, HANDLER.length - base.length);
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) throw runtimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, handlerPath] = match;
  let app;
  try {
    app = await loadModule(path.resolve(ROOT, moduleRoot, moduleName));
  } catch (e) {
    if (e instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', String(e));
    if (e && e.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(e));
    throw e;
  }
  const fn = handlerPath.split('.').reduce((o, k) => o && o[k], app);
  if (!fn) throw runtimeError('HandlerNotFound', `${HANDLER} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('HandlerNotFound', `${HANDLER} is not a function`);
  return fn;
}

function makeContext(headers, settle) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const env = process.env;
  const parse = (h) => {
    try {
      return h ? JSON.parse(h) : undefined;
    } catch (_) {
      return undefined;
    }
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers['lambda-runtime-client-context']),
    identity: parse(headers['lambda-runtime-cognito-identity']),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    succeed: (result) => settle(null, result),
    fail: (error) => settle(error === undefined || error === null ? 'handled' : error),
    done: (error, result) => settle(error, result),
  };
}

// Runs the handler: the first of its promise, its callback or a `context` method settles, as
// in the Node.js runtime interface client (src/Runtime.js, src/CallbackContext.js,
// src/BeforeExitListener.js): a value a non-async handler returns is not its result; the
// callback's result is sent once the event loop is empty when `callbackWaitsForEmptyEventLoop`
// is true (the default); a handler that returns no promise and settles nothing answers `null`
// once the event loop is empty. "Empty" is read with the Runtime API's connection unreferenced,
// for handlers that return no promise (a promise's handler answers when it settles).
function invoke(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    let done = false;
    let afterEmpty = null;
    let watching = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      if (watching) {
        process.removeListener('beforeExit', onEmpty);
        if (socket) socket.ref();
      }
      resolve(outcome);
    };
    const onEmpty = () => {
      if (afterEmpty) finish(afterEmpty);
      else if (!settled) {
        settled = true;
        finish({ result: null });
      }
    };
    const outcome = (error, result) =>
      error !== undefined && error !== null ? { error } : { result };
    const settle = (error, result) => {
      if (settled) return;
      settled = true;
      finish(outcome(error, result));
    };
    const context = makeContext(headers, settle);
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (context.callbackWaitsForEmptyEventLoop) afterEmpty = outcome(error, result);
      else finish(outcome(error, result));
    };
    let r;
    try {
      r = handler(event, context, callback);
    } catch (error) {
      settle(error);
      return;
    }
    if (r && typeof r.then === 'function') {
      r.then(
        (value) => settle(null, value),
        (error) => settle(error === undefined || error === null ? new Error(String(error)) : error),
      );
    }
    if (!done && !(r && typeof r.then === 'function')) {
      watching = true;
      process.on('beforeExit', onEmpty);
      if (socket) socket.unref();
    }
  });
}

// Marks the end of an invocation's output when there was some; the answer then says so
// (`Baton-End-Mark`), and Baton waits for the mark before it files the output.
function endMarker(id) {
  if (!wrote) return {};
  wrote = false;
  fs.writeSync(1, `${END}${id}\n`);
  return { 'Baton-End-Mark': '1' };
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    const body = toResponse(error);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await post(`${BASE}/init/error`, JSON.stringify(body), {
      'lambda-runtime-function-error-type': String(body.errorType),
    });
    process.exit(129);
  }
  // An error no handler caught fails the invocation in progress, with the error (an uncaught
  // exception) or `Runtime.UnhandledPromiseRejection`, and ends the process, which Baton then
  // replaces; between invocations it only ends the process.
  const fatal = async (body, code) => {
    if (inProgress) {
      inProgress = false;
      const mark = endMarker(currentRequestId);
      await post(`${BASE}/invocation/${currentRequestId}/error`, JSON.stringify(body), {
        'Lambda-Runtime-Function-Error-Type': String(body.errorType),
        ...mark,
      }).catch(() => {});
    }
    process.exit(code);
  };
  process.on('unhandledRejection', (reason) => {
    const error = util.types.isNativeError(reason) ? reason : new Error(String(reason));
    console.error(`Unhandled Promise Rejection: ${error.stack}`);
    fatal(
      {
        errorType: 'Runtime.UnhandledPromiseRejection',
        errorMessage: `${error.name}: ${error.message}`,
        trace: String(error.stack).split('\n'),
      },
      128,
    );
  });
  process.on('uncaughtException', (error) => {
    console.error(`Uncaught Exception: ${error && error.stack}`);
    fatal(toResponse(error), 129);
  });
  let next = send(NEXT)[0];
  for (;;) {
    let invocation;
    try {
      invocation = await next;
    } catch (error) {
      // The connection was closed (after a refused result, say): ask again on a new one.
      if (error && error.code === 'ECONNRESET') invocation = await send(NEXT)[0];
      else throw error;
    }
    if (invocation.status !== 200) {
      console.error(`Runtime API: ${invocation.status} ${invocation.body}`);
      process.exit(1);
    }
    const headers = invocation.headers;
    const id = headers['lambda-runtime-aws-request-id'];
    currentRequestId = id;
    inProgress = true;
    let outcome;
    try {
      outcome = await invoke(handler, JSON.parse(invocation.body.toString('utf8')), headers);
    } catch (error) {
      outcome = { error };
    }
    let body;
    let errorType;
    if ('error' in outcome) {
      body = toResponse(outcome.error);
      errorType = String(body.errorType);
      console.error(JSON.stringify(body));
    } else {
      try {
        body = JSON.stringify(outcome.result === undefined ? null : outcome.result);
      } catch (error) {
        body = {
          errorType: 'Runtime.MarshalError',
          errorMessage: `Unable to stringify response body: ${error.message}`,
          trace: [],
        };
        errorType = body.errorType;
      }
    }
    // A fatal error answered this invocation already; the process is ending.
    if (!inProgress) return;
    inProgress = false;
    const mark = endMarker(id);
    const result = errorType
      ? postRequest(`${BASE}/invocation/${id}/error`, JSON.stringify(body), {
          'Lambda-Runtime-Function-Error-Type': errorType,
          ...mark,
        })
      : postRequest(`${BASE}/invocation/${id}/response`, body, mark);
    // The result and the request for the next invocation, in one write.
    const [posted, following] = send(result, NEXT);
    next = following;
    posted.catch(() => {});
    following.catch(() => {});
  }
}

main().catch((error) => {
  process.stderr.write(`Baton's Node.js runtime stopped: ${error && error.stack}\n`);
  process.exit(1);
});
