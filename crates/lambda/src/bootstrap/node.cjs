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
const http = require('http');
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

// One connection for the process's life: an invocation is a GET and a POST on it.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const [host, port] = API.split(':');

// A kept-alive connection the server closed is opened again, once.
async function request(method, url, body, headers) {
  try {
    return await send(method, url, body, headers);
  } catch (e) {
    if (e && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) return send(method, url, body, headers);
    throw e;
  }
}

function send(method, url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: url, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function post(url, value, headers) {
  const body = Buffer.from(value);
  return request('POST', url, body, {
    'content-type': 'application/json',
    'content-length': body.length,
    ...(headers || {}),
  });
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

// Runs the handler: the first of its promise, its callback or a `context` method settles.
function invoke(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) resolve({ error });
      else resolve({ result });
    };
    const context = makeContext(headers, settle);
    try {
      const r = handler(event, context, settle);
      if (r && typeof r.then === 'function') {
        r.then(
          (value) => settle(null, value),
          (error) => settle(error === undefined || error === null ? new Error(String(error)) : error),
        );
      } else if (handler.length < 3 && handler.constructor.name !== 'AsyncFunction') {
        // A synchronous handler without a callback answers with what it returned.
        settle(null, r);
      }
    } catch (error) {
      settle(error);
    }
  });
}

function endMarker(id) {
  fs.writeSync(1, `${END}${id}\n`);
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
  process.on('unhandledRejection', async (reason) => {
    const error = util.types.isNativeError(reason) ? reason : new Error(String(reason));
    const body = {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: `${error.name}: ${error.message}`,
      trace: String(error.stack).split('\n'),
    };
    if (currentRequestId) {
      endMarker(currentRequestId);
      await post(`${BASE}/invocation/${currentRequestId}/error`, JSON.stringify(body), {
        'lambda-runtime-function-error-type': body.errorType,
      }).catch(() => {});
    }
    process.exit(128);
  });
  for (;;) {
    const next = await request('GET', `${BASE}/invocation/next`);
    if (next.status !== 200) {
      console.error(`Runtime API: ${next.status} ${next.body}`);
      process.exit(1);
    }
    const id = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = id;
    let outcome;
    try {
      outcome = await invoke(handler, JSON.parse(next.body.toString('utf8')), next.headers);
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
    endMarker(id);
    if (errorType) {
      await post(`${BASE}/invocation/${id}/error`, JSON.stringify(body), {
        'lambda-runtime-function-error-type': errorType,
      });
    } else {
      await post(`${BASE}/invocation/${id}/response`, body);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`Baton's Node.js runtime stopped: ${error && error.stack}\n`);
  process.exit(1);
});
