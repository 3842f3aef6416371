// Who is logged in: the access token and user from Login/Register, kept in
// localStorage so a reload keeps the customer logged in until it expires.

import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { User } from "./gen/shop/auth/v1/auth_pb";

export interface Session {
  accessToken: string;
  /** Milliseconds since the epoch; 0 if the server gave no expiry. */
  expiresAt: number;
  user: { id: string; email: string; displayName: string; /** Role enum value (shop.auth.v1.Role); 0 when not known yet. */ role?: number };
}

const KEY = "shop.session.v1";
const listeners = new Set<() => void>();
let current: Session | null = load();
/** Set when the server refused the token, so the login page can say why. */
let expiredNotice = false;

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.accessToken !== "string" || !s.user) return null;
    if (s.expiresAt && s.expiresAt <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

function save(s: Session | null): void {
  current = s;
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch {
    // Private mode or full storage: the session still lives in memory.
  }
  listeners.forEach((fn) => fn());
}

/** The current session, or null when logged out or expired. */
export function session(): Session | null {
  if (current?.expiresAt && current.expiresAt <= Date.now()) {
    expiredNotice = true;
    save(null);
  }
  return current;
}

export function logIn(accessToken: string, expireTime: Timestamp | undefined, user: User | undefined): void {
  expiredNotice = false;
  save({
    accessToken,
    expiresAt: expireTime ? timestampMs(expireTime) : 0,
    user: { id: user?.id ?? "", email: user?.email ?? "", displayName: user?.displayName ?? "", role: user?.role ?? 0 },
  });
}

export function logOut(): void {
  expiredNotice = false;
  save(null);
}

/** The server no longer accepts the token (UNAUTHENTICATED). */
export function expire(): void {
  if (current) {
    expiredNotice = true;
    save(null);
  }
}

/** True once after the session was ended by the server or by its expiry. */
export function takeExpiredNotice(): boolean {
  const was = expiredNotice;
  expiredNotice = false;
  return was;
}

/** Refreshes the stored user (from WhoAmI) without touching the token. */
export function updateUser(user: User): void {
  if (current) save({ ...current, user: { id: user.id, email: user.email, displayName: user.displayName, role: user.role } });
}

/** Calls `fn` after every log in or out, until `signal` (if any) aborts. */
export function onSessionChange(fn: () => void, signal?: AbortSignal): void {
  listeners.add(fn);
  signal?.addEventListener("abort", () => listeners.delete(fn));
}

// Another tab logged in or out.
window.addEventListener("storage", (e) => {
  if (e.key === KEY) {
    current = load();
    listeners.forEach((fn) => fn());
  }
});
