// When to renew an access token, and which refusals end a session, as pure
// functions (no DOM, no storage) so the unit tests run them in Node.

/** The longest head start a renewal takes before the access token expires. */
export const MAX_LEAD_MS = 60_000;

/**
 * When to renew a token issued at `issuedAt` that expires at `expiresAt`
 * (milliseconds since the epoch): a fifth of its life before the end, but
 * never more than a minute early. A 15-minute token is renewed at 14 minutes,
 * a 5-second one (the mock's, in tests) at 4 seconds. 0 when there is no expiry.
 */
export function renewAt(issuedAt: number, expiresAt: number): number {
  if (!expiresAt) return 0;
  const life = Math.max(0, expiresAt - issuedAt);
  return expiresAt - Math.min(MAX_LEAD_MS, life / 5);
}

/** Whether the access token should be renewed before it is sent at `now`. */
export function isDue(s: { issuedAt: number; expiresAt: number }, now: number): boolean {
  const at = renewAt(s.issuedAt, s.expiresAt);
  return at !== 0 && now >= at;
}

/** Whether the refresh token itself has run out (a session cannot be renewed). */
export function isSpent(s: { refreshExpiresAt: number }, now: number): boolean {
  return s.refreshExpiresAt !== 0 && now >= s.refreshExpiresAt;
}

/** What a person reads when RefreshSession refuses, by ErrorInfo reason. */
export function endedMessage(reason: string): string {
  if (reason === "REFRESH_TOKEN_REUSED") {
    return "For your security you were signed out: your session was used from somewhere else. Please log in again, and change your password if this was not you.";
  }
  return "Your session has ended. Please log in again.";
}
