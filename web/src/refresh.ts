// Keeping a session alive: renewing the 15-minute access token with the
// single-use refresh token shortly before it expires, and once when the
// server refuses it (src/api.ts), with ONE renewal in flight across every
// tab of this browser. That matters: a refresh token is spent by its first
// use, and a second use revokes the whole family (REFRESH_TOKEN_REUSED), so
// two tabs renewing with the same token would log the customer out. Each
// renewal therefore runs under a cross-tab lock (the Web Locks API, or a
// lease in IndexedDB where it is missing: src/crosstab.ts) and first
// re-reads the stored session: if another tab renewed meanwhile, it takes
// those tokens instead of spending a spent one. The `storage` event (session.ts)
// tells the other tabs. Logging out also tells the server (Logout).

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb";
import { AuthService } from "./gen/shop/auth/v1/auth_pb";
import { endSession, expire, logIn, logOut, onSessionChange, reload, session, type Session } from "./session";
import { markSpent, wasSpent, withLease } from "./crosstab";
import { endedMessage, isDue, renewAt } from "./tokens";

// RefreshSession and Logout need no access token: a client without the
// interceptor of api.ts, so renewing can never wait on a renewal.
const plain = createClient(AuthService, createGrpcWebTransport({ baseUrl: window.location.origin }));
const LOCK = "shop.session.refresh";
/** A renewal that hangs must not hold the other tabs' lock for ever. */
const CALL_TIMEOUT_MS = 15_000;
/** How long a tab without Web Locks waits for its copy of localStorage to show another tab's renewal. */
const CATCH_UP_MS = 3000;

/** How long a renewal keeps the lock after storing the new tokens (see renew). */
const HANDOVER_MS = 150;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether this browser has the Web Locks API (not in plain-http shops other than localhost, nor older browsers). */
const hasLocks = () => typeof navigator !== "undefined" && !!navigator.locks?.request;

/** Runs `fn` while holding the cross-tab renewal lock. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  if (hasLocks()) return navigator.locks.request(LOCK, { mode: "exclusive" }, fn);
  return withLease(fn, CALL_TIMEOUT_MS);
}

/**
 * The stored session once this tab's copy of localStorage shows the
 * renewal that spent `spent`, or as it is after CATCH_UP_MS.
 */
async function caughtUp(spent: string): Promise<Session | null> {
  const until = Date.now() + CATCH_UP_MS;
  let s = reload();
  while (s?.refreshToken === spent && Date.now() < until) {
    await sleep(50);
    s = reload();
  }
  return s;
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
    const locks = hasLocks();
    let s = reload();
    // Without Web Locks, this tab's copy of localStorage may not show yet
    // the tokens a renewal in another tab stored (and the lease it held is
    // released already): wait for them rather than spend a spent token.
    // Should they never show (that tab was closed mid-renewal), renew
    // anyway: the server then decides, at worst a clean sign-out.
    if (!locks && s?.refreshToken && (await wasSpent(s.refreshToken))) s = await caughtUp(s.refreshToken);
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
      // Only once the new tokens are stored: a reload in between must not
      // leave a marker naming the token the page still holds.
      if (!locks) await markSpent(s.refreshToken);
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
