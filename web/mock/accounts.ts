// The mock gateway's sessions and account recovery (issue 18), following
// auth.proto: access tokens that expire (MOCK_ACCESS_TTL_S seconds, default
// 900 like the real 15 minutes; the e2e run uses a few seconds so a test
// can cross several expiries), single-use refresh tokens rotated by
// RefreshSession with reuse detection (a spent token revokes its family:
// REFRESH_TOKEN_REUSED), Logout, ChangePassword, password reset and email
// verification by emailed tokens, UpdateProfile.
//
// Emails are not sent: they are kept, and GET /__mock/last-email?to=<email>&kind=verify|reset
// answers the last one as JSON ({ to, kind, token, link }) so a browser test
// can "read its email". That endpoint is the mock's only; the real shop has none.

import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../src/gen/google/rpc/error_details_pb";
import type { AuthService, User } from "../src/gen/shop/auth/v1/auth_pb";
import { invalid, withReason } from "./errors";

export interface MockAccount {
  user: User;
  password: string;
  walletMinor: bigint;
}

interface RefreshEntry<A> {
  account: A;
  family: string;
  expires: number;
  spent: boolean;
}

interface Email {
  to: string;
  kind: "verify" | "reset" | "password-changed";
  token: string;
  link: string;
}

const MINUTE = 60_000;
const REFRESH_TTL_MS = 30 * 24 * 60 * MINUTE;
const RESET_TTL_MS = 30 * MINUTE;
const VERIFY_TTL_MS = 7 * 24 * 60 * MINUTE;

const secret = () => crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");

function tooMany(seconds: number): ConnectError {
  return new ConnectError("too many attempts", Code.ResourceExhausted, undefined, [
    { desc: RetryInfoSchema, value: { retryDelay: create(DurationSchema, { seconds: BigInt(seconds) }) } },
    { desc: ErrorInfoSchema, value: { reason: "TOO_MANY_ATTEMPTS", domain: "shop" } },
  ]);
}

/** At most `max` events per key in a sliding minute; throws RESOURCE_EXHAUSTED when over. */
function throttle(log: Map<string, number[]>, key: string, max: number): void {
  const recent = (log.get(key) ?? []).filter((t) => Date.now() - t < MINUTE);
  if (recent.length >= max) throw tooMany(Math.ceil((recent[0] + MINUTE - Date.now()) / 1000));
  log.set(key, [...recent, Date.now()]);
}

function passwordViolation(field: string, password: string): [string, string][] {
  return password.length < 10 || password.length > 128 ? [[field, "must be 10 to 128 characters"]] : [];
}

export function accountsMock<A extends MockAccount>(accounts: Map<string, A>) {
  const ttlMs = Number(process.env.MOCK_ACCESS_TTL_S ?? 900) * 1000;
  const access = new Map<string, { account: A; expires: number }>();
  const refresh = new Map<string, RefreshEntry<A>>();
  const revoked = new Set<string>(); // families
  const resets = new Map<string, { account: A; expires: number }>();
  const verifications = new Map<string, { account: A; expires: number }>();
  const emails: Email[] = [];
  const wrongPasswords = new Map<string, number[]>();
  const resetRequests = new Map<string, number[]>();

  function issue(account: A, family: string = crypto.randomUUID()) {
    const accessToken = secret();
    const expires = Date.now() + ttlMs;
    access.set(accessToken, { account, expires });
    const refreshToken = secret();
    const refreshExpires = Date.now() + REFRESH_TTL_MS;
    refresh.set(refreshToken, { account, family, expires: refreshExpires, spent: false });
    return {
      accessToken,
      expireTime: timestampFromMs(expires),
      user: account.user,
      refreshToken,
      refreshExpireTime: timestampFromMs(refreshExpires),
    };
  }

  function revokeAll(account: A, except = ""): void {
    for (const entry of refresh.values()) if (entry.account === account && entry.family !== except) revoked.add(entry.family);
  }

  function email(to: string, kind: Email["kind"], token = ""): void {
    const route = kind === "verify" ? "verify" : "reset-password";
    emails.push({ to, kind, token, link: token ? `/#/${route}?token=${token}` : "" });
  }

  /** A new verification link (the previous ones stop working). */
  function sendVerification(account: A): void {
    for (const [token, v] of verifications) if (v.account === account) verifications.delete(token);
    const token = secret();
    verifications.set(token, { account, expires: Date.now() + VERIFY_TTL_MS });
    email(account.user.email, "verify", token);
  }

  function bearer(ctx: HandlerContext): { account: A; expires: number } {
    const header = ctx.requestHeader.get("authorization") ?? "";
    if (!header) throw withReason(Code.Unauthenticated, "TOKEN_MISSING", "missing access token");
    const found = access.get(header.replace(/^Bearer /, ""));
    if (!found) throw withReason(Code.Unauthenticated, "TOKEN_INVALID", "invalid access token");
    if (found.expires <= Date.now()) throw withReason(Code.Unauthenticated, "TOKEN_EXPIRED", "access token expired");
    return found;
  }

  const caller = (ctx: HandlerContext): A => bearer(ctx).account;

  const handlers: Partial<ServiceImpl<typeof AuthService>> = {
    refreshSession(req) {
      const entry = refresh.get(req.refreshToken);
      if (!entry || entry.expires <= Date.now() || revoked.has(entry.family)) {
        throw withReason(Code.Unauthenticated, "REFRESH_TOKEN_INVALID", "unknown, expired or revoked refresh token");
      }
      if (entry.spent) {
        revoked.add(entry.family);
        throw withReason(Code.Unauthenticated, "REFRESH_TOKEN_REUSED", "refresh token reused: the session is revoked");
      }
      entry.spent = true;
      return issue(entry.account, entry.family);
    },
    logout(req) {
      const entry = refresh.get(req.refreshToken);
      if (entry) revoked.add(entry.family);
      return {};
    },
    changePassword(req, ctx) {
      const account = caller(ctx);
      const v = passwordViolation("new_password", req.newPassword);
      if (!req.currentPassword) v.unshift(["current_password", "is required"]);
      if (v.length) throw invalid(v);
      throttle(wrongPasswords, account.user.email, 5);
      if (req.currentPassword !== account.password) throw withReason(Code.PermissionDenied, "WRONG_PASSWORD", "the current password is wrong");
      account.password = req.newPassword;
      const own = refresh.get(req.refreshToken);
      revokeAll(account, own?.account === account ? own.family : "");
      email(account.user.email, "password-changed");
      return {};
    },
    requestPasswordReset(req) {
      const address = req.email.trim().toLowerCase();
      throttle(resetRequests, address, 3);
      const account = accounts.get(address);
      if (account) {
        const token = secret();
        resets.set(token, { account, expires: Date.now() + RESET_TTL_MS });
        email(address, "reset", token);
      }
      return {};
    },
    resetPassword(req) {
      const reset = resets.get(req.token);
      if (!reset || reset.expires <= Date.now()) throw withReason(Code.FailedPrecondition, "RESET_TOKEN_INVALID", "unknown, spent or expired reset token");
      const v = passwordViolation("new_password", req.newPassword);
      if (v.length) throw invalid(v);
      resets.delete(req.token);
      reset.account.password = req.newPassword;
      revokeAll(reset.account);
      email(reset.account.user.email, "password-changed");
      return {};
    },
    verifyEmail(req) {
      const v = verifications.get(req.token);
      if (!v || v.expires <= Date.now()) throw withReason(Code.FailedPrecondition, "VERIFICATION_TOKEN_INVALID", "unknown, spent or expired verification token");
      verifications.delete(req.token);
      v.account.user.emailVerified = true;
      return v.account.user;
    },
    resendVerificationEmail(_req, ctx) {
      const account = caller(ctx);
      if (account.user.emailVerified) throw withReason(Code.FailedPrecondition, "EMAIL_ALREADY_VERIFIED", "the email is verified already");
      sendVerification(account);
      return {};
    },
    updateProfile(req, ctx) {
      const account = caller(ctx);
      const name = req.displayName.trim();
      if (!name || req.displayName.length > 100) throw invalid([["display_name", "must be 1 to 100 characters"]]);
      account.user.displayName = name;
      return account.user;
    },
  };

  /** GET /__mock/last-email?to=&kind=: the last email to that address (of that kind), or 404. */
  function testEndpoint(
    req: { url?: string },
    res: { writeHead(status: number, headers: Record<string, string>): unknown; end(body: string): unknown },
  ): boolean {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/__mock/last-email") return false;
    const to = (url.searchParams.get("to") ?? "").trim().toLowerCase();
    const kind = url.searchParams.get("kind");
    const found = [...emails].reverse().find((e) => e.to === to && (!kind || e.kind === kind));
    res.writeHead(found ? 200 : 404, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(found ?? { error: "no such email" }));
    return true;
  }

  return {
    issue,
    caller,
    /** When the caller's access token expires (ms since the epoch); throws like `caller`. */
    callerExpiry: (ctx: HandlerContext) => bearer(ctx).expires,
    sendVerification,
    handlers,
    testEndpoint,
  };
}
