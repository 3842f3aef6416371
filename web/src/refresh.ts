// Keeping a session alive: renewing the 15-minute access token with the
// single-use refresh token shortly before it expires, and once when the
// server refuses it (src/api.ts), with ONE renewal in flight across every
// tab of this browser. That matters: a refresh token is spent by its first
// use, and a second use revokes the whole family (REFRESH_TOKEN_REUSED), so
// two tabs renewing with the same token would log the customer out. Each
// renewal therefore runs under a cross-tab lock (the Web Locks API, or a
// best-effort lease in localStorage where it is missing) and first re-reads
// the stored session: if another tab renewed meanwhile, it takes those
// tokens instead of spending a spent one. The `storage` event (session.ts)
// tells the other tabs. Logging out also tells the server (Logout).

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { AuthService } from "./gen/shop/auth/v1/auth_pb";
import { endSession, expire, logIn, logOut, onSessionChange, reload, session, type Session } from "./session";
import { endedMessage, isDue, renewAt } from "./tokens";

// RefreshSession and Logout need no access token: a client without the
// interceptor of api.ts, so renewing can never wait on a renewal.
const plain = createClient(AuthService, createGrpcWebTransport({ baseUrl: window.location.origin }));
const LOCK = "shop.session.refresh";
const LEASE = "shop.session.refresh.lease";
/** A renewal that hangs must not hold the other tabs' lock for ever. */
const CALL_TIMEOUT_MS = 15_000;

/** How long a renewal keeps the lock after storing the new tokens (see renew). */
const HANDOVER_MS = 150;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding the cross-tab renewal lock. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks?.request) {
    return navigator.locks.request(LOCK, { mode: "exclusive" }, fn);
  }
  return withLease(fn);
}

/**
 * The fallback without Web Locks: a lease in localStorage, claimed by
 * writing it and reading it back a moment later (the last writer wins).
 * Not atomic, but the re-read of the stored session under it still saves
 * the day when two tabs race; a lease left by a closed tab lapses.
 */
async function withLease<T>(fn: () => Promise<T>): Promise<T> {
  const me = Math.random().toString(36).slice(2);
  const holder = () => {
    try {
      return JSON.parse(localStorage.getItem(LEASE) ?? "null") as { owner: string; until: number } | null;
    } catch {
      return null;
    }
  };
  const giveUp = Date.now() + CALL_TIMEOUT_MS;
  try {
    for (;;) {
      const held = holder();
      if (!held || held.until < Date.now() || Date.now() > giveUp) {
        localStorage.setItem(LEASE, JSON.stringify({ owner: me, until: Date.now() + CALL_TIMEOUT_MS }));
        await sleep(30);
        if (holder()?.owner === me) break;
      }
      await sleep(50 + Math.random() * 100);
    }
  } catch {
    // No storage at all: there is only this tab's session to look after.
  }
  try {
    return await fn();
  } finally {
    try {
      if (holder()?.owner === me) localStorage.removeItem(LEASE);
    } catch {
      // As above.
    }
  }
}

let inFlight: Promise<Session | null> | null = null;

/**
 * Renews the session whose access token `stale` is due or was refused,
 * unless another tab (or call) replaced it already. Resolves to the session
 * afterwards, or null once it has ended (the refresh token was refused:
 * logged out with a message). Rejects when the shop could not be reached;
 * the session is kept for another try.
 */
export function renew(stale: string): Promise<Session | null> {
  inFlight ??= withLock(async () => {
    const s = reload();
    if (!s) return null;
    if (s.accessToken !== stale && !isDue(s, Date.now())) return s;
    if (!s.refreshToken) {
      expire();
      return null;
    }
    try {
      const res = await plain.refreshSession({ refreshToken: s.refreshToken }, { timeoutMs: CALL_TIMEOUT_MS });
      // Logged out (here or in another tab) while we asked: stay logged out.
      if (reload()?.refreshToken !== s.refreshToken) return session();
      logIn(res);
      // Other tabs read localStorage from their own copy, updated a moment
      // after this write and in no set order with the lock's release: hold
      // the lock a little longer so the next holder reads the new tokens.
      await sleep(HANDOVER_MS);
      return session();
    } catch (err) {
      const e = ConnectError.from(err);
      if (e.code !== Code.Unauthenticated) throw err;
      if (reload()?.refreshToken === s.refreshToken) endSession(endedMessage(e.findDetails(ErrorInfoSchema)[0]?.reason ?? ""));
      return session();
    }
  }).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** The session to send a call with: renewed first when its access token is (nearly) expired. */
export async function freshSession(): Promise<Session | null> {
  const s = session();
  if (!s?.refreshToken || !isDue(s, Date.now())) return s;
  // Unreachable shop: send the old token; the call says what is wrong.
  return renew(s.accessToken).catch(() => session());
}

/** Ends the session here at once, then revokes it on the server (a network failure there changes nothing here). */
export async function signOut(): Promise<void> {
  const token = session()?.refreshToken;
  logOut();
  if (token) await plain.logout({ refreshToken: token }, { timeoutMs: 5000 }).catch(() => {});
}

// Renew shortly before the access token expires, so calls and streams keep
// working. Every tab sets its timer; the lock and re-read make the later
// ones take the first one's tokens. A timer slowed down in a background tab
// is caught up when the tab is shown again (and by freshSession before any call).
let timer: ReturnType<typeof setTimeout> | undefined;
let failures = 0;

function schedule(): void {
  clearTimeout(timer);
  const s = session();
  if (!s?.refreshToken) return;
  const at = renewAt(s.issuedAt, s.expiresAt);
  if (!at) return;
  const wait = Math.max(0, at - Date.now()) + (failures ? Math.min(30_000, 1000 * 2 ** failures) : 0);
  timer = setTimeout(() => {
    const now = session();
    if (!now) return;
    renew(now.accessToken).then(
      () => {
        failures = 0;
        schedule();
      },
      () => {
        failures++;
        schedule();
      },
    );
  }, wait);
}

/** Starts the timer (once, from main.ts). */
export function keepSessionAlive(): void {
  onSessionChange(schedule);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") schedule();
  });
  schedule();
}
