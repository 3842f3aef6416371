// Who is logged in: the tokens and user from Login, Register or
// RefreshSession, kept in localStorage.
//
// Where the refresh token lives is a trade-off. localStorage is readable by
// any script on this origin, so an XSS hole would leak a 30-day credential;
// sessionStorage leaks the same way (to the same script) but dies with the
// tab, so a customer opening a product in a new tab would land logged out,
// and every tab would hold its own token family. We keep localStorage: the
// customer stays logged in across tabs and reloads for the visit, which is
// what issue 18 asks for. What limits the XSS risk instead: the gateway's
// strict content-security-policy (no inline or foreign scripts), refresh
// tokens that are single-use and rotated (a stolen copy used after us, or
// us after it, revokes the whole family: REFRESH_TOKEN_REUSED), Logout that
// revokes the family, and a password change or reset that revokes every
// other session. Access tokens last 15 minutes.
//
// Renewing the tokens (and keeping one renewal in flight across tabs) is
// src/refresh.ts; this module only stores and announces.

import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { User } from "./gen/shop/auth/v1/auth_pb";
import { endedMessage, isSpent } from "./tokens";

export interface Session {
  accessToken: string;
  /** Milliseconds since the epoch; 0 if the server gave no expiry. */
  expiresAt: number;
  /** When this browser received the access token (for when to renew it). */
  issuedAt: number;
  /** Single-use: each RefreshSession spends it and answers a new one. "" for sessions stored before refresh tokens. */
  refreshToken: string;
  /** Milliseconds since the epoch; 0 if the server gave no expiry. */
  refreshExpiresAt: number;
  user: { id: string; email: string; displayName: string; emailVerified: boolean;
    /** Role enum value (shop.auth.v1.Role); 0 when not known yet. */
    role?: number;
  };
}

/** What Login, Register and RefreshSession answer. */
export interface Tokens {
  accessToken: string;
  expireTime?: Timestamp;
  user?: User;
  refreshToken?: string;
  refreshExpireTime?: Timestamp;
}

export const KEY = "shop.session.v1";
const listeners = new Set<() => void>();
let current: Session | null = load();
/** Why the session ended (the server refused it, or it ran out), until read or dismissed. */
let notice = "";

/** A session that can no longer be used: its refresh token ran out, or it has none and its access token expired. */
function isOver(s: Session, now: number): boolean {
  return s.refreshToken ? isSpent(s, now) : s.expiresAt !== 0 && s.expiresAt <= now;
}

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.accessToken !== "string" || !s.user) return null;
    const session: Session = {
      accessToken: s.accessToken,
      expiresAt: s.expiresAt ?? 0,
      issuedAt: s.issuedAt ?? 0,
      refreshToken: s.refreshToken ?? "",
      refreshExpiresAt: s.refreshExpiresAt ?? 0,
      user: { ...s.user, emailVerified: s.user.emailVerified ?? false },
    };
    return isOver(session, Date.now()) ? null : session;
  } catch {
    return null;
  }
}

function notify(): void {
  listeners.forEach((fn) => fn());
}

function save(s: Session | null): void {
  current = s;
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode or full storage: the session still lives in memory.
  }
  notify();
}

/** The current session, or null when logged out or it can no longer be renewed. */
export function session(): Session | null {
  if (current && isOver(current, Date.now())) {
    notice = endedMessage("");
    save(null);
  }
  return current;
}

function userOf(user: User | undefined): Session["user"] {
  return { id: user?.id ?? "", email: user?.email ?? "", displayName: user?.displayName ?? "", emailVerified: user?.emailVerified ?? false, role: user?.role ?? 0 };
}

/** Starts a session (Login, Register) or continues it with renewed tokens (RefreshSession). */
export function logIn(res: Tokens): void {
  notice = "";
  save({
    accessToken: res.accessToken,
    expiresAt: res.expireTime ? timestampMs(res.expireTime) : 0,
    issuedAt: Date.now(),
    refreshToken: res.refreshToken ?? "",
    refreshExpiresAt: res.refreshExpireTime ? timestampMs(res.refreshExpireTime) : 0,
    user: userOf(res.user),
  });
}

/** Forgets the session here (the server side is src/refresh.ts's signOut). */
export function logOut(): void {
  notice = "";
  save(null);
}

/** The session ended without the customer asking: `message` says why (login page, banner). */
export function endSession(message = endedMessage("")): void {
  notice = message;
  if (current) save(null);
  else notify();
}

/** The server no longer accepts the token and it cannot be renewed (UNAUTHENTICATED). */
export function expire(): void {
  if (current) endSession();
}

/** Why the session ended, or "" (kept until read by the login page or dismissed). */
export function endedNotice(): string {
  return notice;
}

/** Reads the notice once (the login page shows it), or "" when there is none. */
export function takeExpiredNotice(): string {
  const was = notice;
  if (was) {
    notice = "";
    notify();
  }
  return was;
}

export function dismissEndedNotice(): void {
  takeExpiredNotice();
}

/** Re-reads the stored session, which another tab may have renewed or ended; tells listeners if it changed. */
export function reload(): Session | null {
  const before = current;
  current = load();
  if (JSON.stringify(before) !== JSON.stringify(current)) notify();
  return current;
}

/** Refreshes the stored user (from WhoAmI, VerifyEmail, UpdateProfile) without touching the tokens. */
export function updateUser(user: User): void {
  if (current && current.user.id === user.id) save({ ...current, user: userOf(user) });
}

/** Calls `fn` after every log in or out (and user or token change), until `signal` (if any) aborts. */
export function onSessionChange(fn: () => void, signal?: AbortSignal): void {
  listeners.add(fn);
  signal?.addEventListener("abort", () => listeners.delete(fn));
}

// Another tab logged in or out, or renewed the tokens.
window.addEventListener("storage", (e) => {
  if (e.key === KEY || e.key === null) {
    current = load();
    notify();
  }
});
