// Store URLs: `sqlite:PATH`, `sqlite::memory:`, `postgres://user@host:5432/db[?schema=name]`; parsing and naming them
// needs no driver.
import { InputError } from '../domain/errors.js';

export type StoreTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Parses a store URL; throws InputError naming `store.url` when it is not one we support. */
export function parseStoreUrl(url: string): StoreTarget {
  const text = url.trim();
  if (text.startsWith('sqlite:')) {
    let path = text.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/file.db
    if (path === '')
      throw new InputError('config.invalid', ['store.url: sqlite: needs a file path (sqlite:./data/handoff.db)']);
    return { kind: 'sqlite', path };
  }
  if (text.startsWith('postgres://') || text.startsWith('postgresql://')) {
    try {
      new URL(text);
    } catch {
      throw new InputError('config.invalid', ['store.url: not a valid postgres:// URL']);
    }
    return { kind: 'postgres', url: text };
  }
  throw new InputError('config.invalid', [
    `store.url: unsupported store "${text.split(':')[0] ?? text}" (use sqlite:PATH, sqlite::memory: or postgres://…)`,
  ]);
}

/** How to name the store to a person: the SQLite path, or the Postgres URL without its password. */
export function describeStoreUrl(url: string): string {
  const target = parseStoreUrl(url);
  return target.kind === 'sqlite' ? `SQLite ${target.path}` : `Postgres ${redactUrl(target.url)}`;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
