// The local stand-in for the seed's two DynamoDB tables: one JSON file per item, under
// $JOBS_DIR/<table>/<key>.json. An item is written whole to a temporary file and renamed into
// place, so that a reader never sees half of one.
import * as fs from 'fs';
import * as path from 'path';

export type Table = 'jobs' | 'task-tokens';

/** A request the function refuses; reported to its caller as `ValidationError`. */
export class ValidationError extends Error {
  name = 'ValidationError';
}

// A key names a file: letters, digits, '-' and '_' only, so that no input can name a file
// outside its table's folder.
const KEY = /^[A-Za-z0-9_-]{1,80}$/;

export function checkKey(key: unknown, what: string, max = 80): string {
  if (typeof key !== 'string' || key.length > max || !KEY.test(key)) {
    throw new ValidationError(`${what} must be 1 to ${max} letters, digits, '-' or '_'`);
  }
  return key;
}

function folder(table: Table): string {
  return path.join(process.env.JOBS_DIR ?? '/tmp/baton-callback-jobs', table);
}

export function getItem<T>(table: Table, key: string): T | undefined {
  const file = path.join(folder(table), `${checkKey(key, 'jobId')}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function putItem<T>(table: Table, key: string, item: T): void {
  const dir = folder(table);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${checkKey(key, 'jobId')}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(item, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

/** Every item of the table, by key. */
export function scanItems<T>(table: Table): T[] {
  let names: string[];
  try {
    names = fs.readdirSync(folder(table));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => getItem<T>(table, name.slice(0, -'.json'.length)))
    .filter((item): item is T => item !== undefined);
}
