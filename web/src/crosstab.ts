// What the tabs of this browser share to renew a session one at a time
// (src/refresh.ts), kept in IndexedDB.
//
// localStorage cannot arbitrate between tabs: a read then a write is not
// atomic, and under load another tab sees a write only a while later, so
// two tabs could each write a lease, read their own back and both renew.
// IndexedDB's readwrite transactions on one store run one at a time across
// every tab of the origin, and what one commits the next one reads. It
// holds two records: the fallback's lease, and the refresh token spent by
// the last renewal (useless to anyone: spending it again is what the
// server treats as reuse), which tells a tab whose copy of localStorage
// has not caught up yet to wait for it rather than spend that token again.

interface Lease {
  owner: string;
  until: number;
}

const DB_NAME = "shop.session";
const STORE = "renewal";
const LEASE_KEY = "lease";
const SPENT_KEY = "spent";

let db: Promise<IDBDatabase | null> | null = null;

/** The database, or null where IndexedDB is missing or refused (then each tab renews on its own). */
function database(): Promise<IDBDatabase | null> {
  db ??= new Promise((resolve) => {
    try {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => resolve(null);
      open.onblocked = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
  return db;
}

/**
 * Reads the record `key` and, in the same transaction, writes what
 * `change` makes of it (undefined: leave it, null: delete it); resolves to
 * `change`'s answer once committed, or to `otherwise` without IndexedDB.
 */
async function transact<V, T>(key: string, otherwise: T, change: (value: V | undefined) => [V | null | undefined, T]): Promise<T> {
  const idb = await database();
  if (!idb) return otherwise;
  return new Promise<T>((resolve) => {
    let answer = otherwise;
    try {
      const tx = idb.transaction(STORE, "readwrite");
      const store = tx.objectStore(STORE);
      const read = store.get(key);
      read.onsuccess = () => {
        const [next, result] = change(read.result as V | undefined);
        answer = result;
        if (next === null) store.delete(key);
        else if (next !== undefined) store.put(next, key);
      };
      tx.oncomplete = () => resolve(answer);
      tx.onerror = () => resolve(otherwise);
      tx.onabort = () => resolve(otherwise);
    } catch {
      resolve(otherwise);
    }
  });
}

/** Remembers that `token` was spent by a renewal (once its successor is stored, still under the lease). */
export const markSpent = (token: string) => transact<string, void>(SPENT_KEY, undefined, () => [token, undefined]);

/** Whether a renewal (in any tab) spent `token` already. */
export const wasSpent = (token: string) => transact<string, boolean>(SPENT_KEY, false, (spent) => [undefined, spent === token]);

/**
 * The fallback without Web Locks: a lease in IndexedDB, taken in one
 * transaction when free or run out (a lease left by a closed tab lapses
 * after `holdFor` ms), waited for otherwise (at most twice that).
 */
export async function withLease<T>(fn: () => Promise<T>, holdFor: number): Promise<T> {
  const me = Math.random().toString(36).slice(2);
  const giveUp = Date.now() + 2 * holdFor;
  const take = () =>
    transact<Lease, boolean>(LEASE_KEY, true, (held) => {
      const now = Date.now();
      if (held && held.owner !== me && held.until >= now) return [undefined, false];
      return [{ owner: me, until: now + holdFor }, true];
    });
  while (!(await take()) && Date.now() < giveUp) await sleep(50 + Math.random() * 100);
  try {
    return await fn();
  } finally {
    await transact<Lease, void>(LEASE_KEY, undefined, (held) => [held?.owner === me ? null : undefined, undefined]);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
