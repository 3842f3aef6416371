#!/usr/bin/env node
// Browser test of accounts in the storefront (issue 18) against a running gateway:
//   SHOP_URL=http://127.0.0.1:8080 node e2e/accounts.mjs
// A new customer stays logged in across several access-token expiries while
// browsing; two tabs renew together without tripping reuse detection (one
// RefreshSession for both), with the Web Locks API and without it; a stolen refresh token replayed after it was
// rotated ends the session with a message (no error loop); logging out
// revokes the refresh token and the back button shows no account data; a
// wrong current password is refused next to its field and a right one
// changes it; the verification link marks the email verified and the
// banner goes; forgot password -> emailed link -> reset -> log in with the
// new password, the old one refused, the link spent; the reset request is
// throttled with its delay shown. Every new page is audited with axe-core
// (e2e/axe.mjs) at 390x844 and desktop sizes.
//
// Against the mock gateway (npm run e2e:mock, access tokens of
// MOCK_ACCESS_TTL_S=5 seconds) the expiries are real. Against the real shop
// (15-minute tokens) the expiry steps make the stored token look expired
// (localStorage) and reload, which renews it the same way.
// Reading email: the mock answers GET /__mock/last-email (mock only). For a
// real shop, set E2E_EMAIL_COMMAND to a command that prints the last email
// (or just its link) to the address given as its first argument, of the kind
// given as the second ("verify" or "reset"); without either, the steps that
// need an email are skipped and say so. The throttling step is mock only
// (the real limits are the service's).
// Env: SHOP_URL (required), CHROMIUM, SCREENSHOT, HEADFUL, E2E_TIMEOUT_MS as
// e2e/harness.mjs says; E2E_EMAIL_COMMAND.

import { execFileSync } from "node:child_process";
import { audit, PHONE } from "./axe.mjs";
import { base, browser, expect, finish, newPage, skip, step, TIMEOUT } from "./harness.mjs";

const KEY = "shop.session.v1";
const REFRESH_PATH = "/shop.auth.v1.AuthService/RefreshSession";

const page = await newPage();
const context = page.context();
/** Every RefreshSession any tab of the browser sends. */
let refreshCalls = 0;
context.on("request", (r) => r.url().endsWith(REFRESH_PATH) && refreshCalls++);

const byTestId = (id, p = page) => p.locator(`[data-testid="${id}"]`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The session as the storefront stores it (null when logged out). */
const stored = (p = page) => p.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "null"), KEY);

/**
 * Waits, if a renewal is due within 2 s, until it is done: a reload or a
 * navigation away that cuts a renewal short loses the tokens the shop
 * already issued (the next renewal then reuses a spent token and is revoked,
 * as the contract says), a risk the test should not take by chance.
 */
async function awayFromRenewal(p = page) {
  const s = await stored(p);
  if (!s) return;
  const at = s.expiresAt - Math.min(60_000, (s.expiresAt - s.issuedAt) / 5);
  if (at - Date.now() > 2000) return;
  await p.waitForFunction(([key, old]) => JSON.parse(localStorage.getItem(key) ?? "null")?.accessToken !== old, [KEY, s.accessToken]);
  await sleep(300);
}

/**
 * Opens `a` and `b` (two tabs of one browser) at once on the account page
 * with a stored access token that looks expired, so both want to renew it
 * at the same moment. (Marked while neither tab is open: a tab open then
 * would start renewing at once, and a reload cutting that call short loses
 * the new tokens the shop already issued: a reuse, as the contract says.)
 * Call awayFromRenewal(a) first.
 */
async function startTogetherExpired(a, b) {
  await b.goto("about:blank");
  await markExpired(a);
  await a.goto("about:blank");
  await Promise.all([a.goto(`${base}/#/account`), b.goto(`${base}/#/account`)]);
}

/** Makes the stored access token look expired, so the next start renews it (the real shop's tokens last 15 minutes). */
const markExpired = (p = page) =>
  p.evaluate((key) => {
    const s = JSON.parse(localStorage.getItem(key));
    localStorage.setItem(key, JSON.stringify({ ...s, expiresAt: Date.now() - 1000 }));
  }, KEY);

// --- email ------------------------------------------------------------------

const mockMail = await fetch(`${base}/__mock/last-email?to=nobody@example.com`)
  .then((r) => r.headers.get("content-type")?.startsWith("application/json") ?? false)
  .catch(() => false);
const emailCommand = process.env.E2E_EMAIL_COMMAND;
const canReadEmail = mockMail || Boolean(emailCommand);
const noEmail = "no way to read email: the mock's /__mock/last-email is missing and E2E_EMAIL_COMMAND is not set";

/** The text of the last email of `kind` to `to`, or "" if none yet. */
async function lastEmail(to, kind) {
  if (mockMail) {
    // MOCK ONLY: the mock gateway keeps the emails it would send.
    const res = await fetch(`${base}/__mock/last-email?to=${encodeURIComponent(to)}&kind=${kind}`);
    return res.ok ? (await res.json()).link : "";
  }
  try {
    return execFileSync(emailCommand, [to, kind], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}

/**
 * The link (an in-app route with ?token=) of the last email of `kind` to
 * `to`, other than `previous`: a real shop sends email through its outbox,
 * a moment after the call that asked for it, so this waits for it.
 */
async function emailedRoute(to, kind, previous = "") {
  const route = kind === "verify" ? "verify" : "reset-password";
  const pattern = new RegExp(`#/${route}\\?token=([A-Za-z0-9_.~%-]+)`);
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const text = await lastEmail(to, kind);
    const token = pattern.exec(text)?.[1];
    const found = token && `/#/${route}?token=${token}`;
    if (found && found !== previous) return found;
    expect(Date.now() < until, `no new ${route} link in the ${kind} emails to ${to}: ${text.slice(0, 200)}`);
    await sleep(250);
  }
}

// --- a stolen refresh token, replayed as raw grpc-web -----------------------

function varint(n) {
  const bytes = [];
  for (; n > 127; n >>>= 7) bytes.push((n & 127) | 128);
  bytes.push(n);
  return bytes;
}

/** Sends RefreshSession { refresh_token } outside the browser (as a thief would); returns the grpc-status. */
async function replayRefresh(token) {
  const field = [0x0a, ...varint(Buffer.byteLength(token)), ...Buffer.from(token)];
  const frame = Buffer.alloc(5 + field.length);
  frame.writeUInt32BE(field.length, 1);
  Buffer.from(field).copy(frame, 5);
  const res = await fetch(`${base}${REFRESH_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: frame,
  });
  const body = Buffer.from(await res.arrayBuffer()).toString("latin1");
  return res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(body)?.[1] ?? "0";
}

// --- the steps ----------------------------------------------------------------

const email = `acct-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
let password = "correct horse battery";

/**
 * Signs in with `pw` and waits for `outcome` (by default: signed in). The
 * real shop lets one account sign in a few times in a burst and then once
 * every 10 s (the mock does not throttle), and this test signs one account
 * in many times: a throttled attempt waits and tries again.
 */
async function logInWith(p, pw, outcome = byTestId("user-name", p)) {
  const throttled = p.locator('[data-testid="form-error"]', { hasText: /too many attempts/i });
  for (let attempt = 0; ; attempt++) {
    await p.goto(`${base}/#/login`);
    await byTestId("login-email", p).fill(email);
    await byTestId("login-password", p).fill(pw);
    await byTestId("login-submit", p).click();
    await outcome.or(throttled).first().waitFor();
    if (!(await throttled.isVisible())) return;
    expect(attempt < 3, "signing in is still throttled after three waits");
    await sleep(11000);
  }
}

/** Fails, quoting it, if `locator` is shown (reads its text only then: a missing element would make it wait). */
async function expectNone(locator, what) {
  if ((await locator.count()) > 0) throw new Error(`${what}: ${await locator.first().textContent()}`);
}

async function expectLoggedIn(p = page) {
  await byTestId("user-name", p).waitFor();
  await expectNone(byTestId("session-ended", p), "the session ended");
}

await step(`register a new customer (${email}); a banner asks to verify the email`, async () => {
  await page.goto(`${base}/#/register`);
  await byTestId("register-name").fill("Acct Customer");
  await byTestId("register-email").fill(email);
  await byTestId("register-password").fill(password);
  await byTestId("register-submit").click();
  await expectLoggedIn();
  await byTestId("verify-reminder").waitFor();
  const s = await stored();
  expect(s?.refreshToken, "no refresh token was kept");
  await audit(page, "the verification reminder");
});

await step("the account page shows the profile, the unverified email and the password form", async () => {
  await byTestId("banner-account").click();
  await page.waitForURL(/#\/account$/);
  await byTestId("account-email").waitFor();
  expect((await byTestId("account-email").textContent()) === email, "the account page shows another email");
  expect((await byTestId("email-status").getAttribute("data-verified")) === "false", "the email shows as verified");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow <= 0, `the account page is ${overflow} px wider than the phone`);
  await audit(page, "the account page");
});

await step("a new display name is saved and shown in the header", async () => {
  await byTestId("profile-name").fill("Acct Renamed");
  await byTestId("profile-submit").click();
  await byTestId("profile-saved").filter({ hasText: /saved/ }).waitFor();
  await page.locator('[data-testid="user-name"]', { hasText: "Acct Renamed" }).waitFor();
});

await step("the customer stays logged in across several access-token expiries while browsing", async () => {
  const first = await stored();
  const life = first.expiresAt - first.issuedAt;
  // Counted by refresh token: each renewal rotates it to a new random one,
  // while two access tokens signed in the same second for the same user
  // are the same JWT.
  const tokens = new Set([first.refreshToken]);
  if (life <= 30_000) {
    // Real expiries (the mock's short tokens): browse for three lifetimes and a bit.
    const until = Date.now() + 3 * life + 1000;
    for (let i = 0; Date.now() < until; i++) {
      // From the account page to the orders (ListOrders needs the token) and back (WhoAmI).
      const orders = i % 2 === 0;
      await byTestId(orders ? "nav-orders" : "user-name").click();
      await page.waitForURL(orders ? /#\/orders$/ : /#\/account$/);
      await (orders ? page.getByText(/no orders yet/) : byTestId("account-email")).or(byTestId("page-error")).first().waitFor();
      await expectNone(byTestId("page-error"), "an error is shown");
      await expectLoggedIn();
      tokens.add((await stored()).refreshToken);
      await sleep(life / 3);
    }
  } else {
    console.log(`     access tokens last ${Math.round(life / 1000)} s: expiring the stored token by hand three times`);
    for (let i = 0; i < 3; i++) {
      await awayFromRenewal();
      await markExpired();
      await page.reload();
      await byTestId("account-email").waitFor();
      await expectLoggedIn();
      tokens.add((await stored()).refreshToken);
    }
  }
  expect(tokens.size >= 4, `only ${tokens.size - 1} renewals happened`);
  // A call needing the token right after the last renewal works.
  await page.goto(`${base}/#/orders`);
  await page.getByText(/no orders yet/).or(byTestId("page-error")).first().waitFor();
  expect((await byTestId("page-error").count()) === 0, "the orders page shows an error");
  console.log(`     ${tokens.size - 1} renewals`);
});

await step("two tabs renewing at once do not trip reuse detection: one RefreshSession, both stay logged in", async () => {
  const second = await context.newPage();
  second.setDefaultTimeout(TIMEOUT);
  await second.goto(`${base}/#/account`);
  await byTestId("account-email", second).waitFor();
  await page.goto(`${base}/#/account`);
  await byTestId("account-email").waitFor();
  await awayFromRenewal();
  const before = await stored();
  const calls = refreshCalls;
  await startTogetherExpired(page, second);
  await Promise.all([byTestId("account-email").waitFor(), byTestId("account-email", second).waitFor()]);
  expect(refreshCalls - calls === 1, `${refreshCalls - calls} RefreshSession calls for two tabs`);
  const after = await stored();
  expect(after.refreshToken !== before.refreshToken, "the refresh token was not rotated");
  expect((await stored(second)).refreshToken === after.refreshToken, "the tabs hold different tokens");
  // And with the timers: both tabs stay logged in across the next expiry.
  const life = after.expiresAt - after.issuedAt;
  if (life <= 30_000) await sleep(life + 1500);
  for (const p of [page, second]) {
    await byTestId("nav-orders", p).click();
    await p.getByText(/no orders yet/).or(byTestId("page-error", p)).first().waitFor();
    await expectLoggedIn(p);
    expect((await byTestId("page-error", p).count()) === 0, "a tab shows an error after the renewal");
  }
  await second.close();
});

await step("without the Web Locks API (the lease in IndexedDB) two tabs still renew once", async () => {
  const noLocks = await browser.newContext({ viewport: PHONE });
  try {
    // Older browsers, and plain-http shops other than localhost (not a secure context), have no navigator.locks.
    await noLocks.addInitScript(() => Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined }));
    let calls = 0;
    noLocks.on("request", (r) => r.url().endsWith(REFRESH_PATH) && calls++);
    const [a, b] = [await noLocks.newPage(), await noLocks.newPage()];
    a.setDefaultTimeout(TIMEOUT);
    b.setDefaultTimeout(TIMEOUT);
    await logInWith(a, password);
    await expectLoggedIn(a);
    // By the way: the verification reminder can be dismissed for the visit.
    await byTestId("dismiss-verify", a).click();
    await byTestId("account-banner", a).waitFor({ state: "hidden" });
    await b.goto(`${base}/#/account`);
    await byTestId("account-email", b).waitFor();
    expect(await a.evaluate(() => navigator.locks === undefined), "navigator.locks is still there");
    await awayFromRenewal(a);
    const before = calls;
    await startTogetherExpired(a, b);
    await Promise.all([byTestId("account-email", a).waitFor(), byTestId("account-email", b).waitFor()]);
    // Counted at once: a 5-second mock token is renewed again 4 s later.
    expect(calls - before === 1, `${calls - before} RefreshSession calls for two tabs`);
    await Promise.all([byTestId("nav-orders", a).click(), byTestId("nav-orders", b).click()]);
    for (const p of [a, b]) {
      await p.getByText(/no orders yet/).or(byTestId("page-error", p)).first().waitFor();
      await expectNone(byTestId("page-error", p), "a tab shows an error");
      await expectLoggedIn(p);
    }
    expect(await byTestId("account-banner", a).isHidden(), "the dismissed reminder came back after a reload");
  } finally {
    await noLocks.close();
  }
});

await step("a stolen refresh token replayed after rotation ends the session with a message, without a loop", async () => {
  const stolen = (await stored()).refreshToken;
  await awayFromRenewal();
  await markExpired();
  await page.reload();
  await expectLoggedIn();
  expect((await stored()).refreshToken !== stolen, "the token was not rotated");
  const status = await replayRefresh(stolen);
  expect(status === "16", `the replayed token got grpc-status ${status}, not UNAUTHENTICATED (16)`);
  // The family is revoked: the next renewal here is refused and the session ends with a message.
  await page.goto(`${base}/#/orders`);
  await markExpired();
  await page.reload();
  const ended = byTestId("session-ended");
  await ended.waitFor();
  expect((await ended.textContent()).length > 10, "the signed-out message is empty");
  await byTestId("nav-login").waitFor();
  expect((await stored()) === null, "the session is still stored");
  const calls = refreshCalls;
  await sleep(2500);
  expect(refreshCalls === calls, `${refreshCalls - calls} more RefreshSession calls after the session ended`);
  await audit(page, "the signed-out message");
  await byTestId("banner-login").click();
  await page.waitForURL(/#\/login/);
});

await step("logging out revokes the session, and the back button shows no account data", async () => {
  await logInWith(page, password);
  await expectLoggedIn();
  await byTestId("user-name").click();
  await byTestId("account-email").waitFor();
  const token = (await stored()).refreshToken;
  await byTestId("nav-logout").click();
  await byTestId("nav-login").waitFor();
  expect((await stored()) === null, "the session is still stored after logging out");
  await page.goBack();
  await page.waitForURL(/#\/account$/);
  await byTestId("account-logged-out").waitFor();
  expect((await byTestId("account-email").count()) === 0, "the account's email is shown after logging out");
  expect(!(await page.locator("main").textContent()).includes(email), "the email address is on the page after logging out");
  // Logout reached the server: the refresh token is no longer accepted.
  await sleep(300);
  expect((await replayRefresh(token)) === "16", "the refresh token still works after logging out");
});

await step("changing the password with a wrong current password is refused next to the field", async () => {
  await logInWith(page, password);
  await expectLoggedIn();
  await page.goto(`${base}/#/account`);
  await byTestId("current-password").fill("not my password at all");
  await byTestId("new-password").fill("a brand new password");
  await byTestId("confirm-password").fill("a brand new password");
  await byTestId("password-submit").click();
  await byTestId("error-current_password").waitFor();
  expect((await byTestId("current-password").getAttribute("aria-invalid")) === "true", "the current password is not marked invalid");
  await expectLoggedIn();
  await audit(page, "a wrong current password");
});

await step("a mistyped confirmation is caught before sending; the right current password changes it", async () => {
  await byTestId("current-password").fill(password);
  await byTestId("new-password").fill("a brand new password");
  await byTestId("confirm-password").fill("a brand new pasword");
  await byTestId("password-submit").click();
  await byTestId("error-confirm_password").waitFor();
  await byTestId("confirm-password").fill("a brand new password");
  await byTestId("password-submit").click();
  await byTestId("password-changed").filter({ hasText: /changed/ }).waitFor();
  password = "a brand new password";
  await expectLoggedIn();
});

if (canReadEmail) {
  await step("the verification link marks the email verified and the banner goes", async () => {
    // The link from registration, which the new one replaces.
    const first = await emailedRoute(email, "verify");
    await page.goto(`${base}/#/account`);
    await byTestId("resend-verification").click();
    await byTestId("verification-sent").filter({ hasText: /new link/ }).waitFor();
    await page.goto(`${base}${await emailedRoute(email, "verify", first)}`);
    await byTestId("verify-done").waitFor();
    await byTestId("account-banner").waitFor({ state: "hidden" });
    await audit(page, "the verified email page");
    await page.goto(`${base}/#/account`);
    await page.locator('[data-testid="email-status"][data-verified="true"]').waitFor();
  });

  await step("a spent or made-up verification link is explained", async () => {
    await page.goto(`${base}/#/verify?token=made-up`);
    await byTestId("verify-invalid").waitFor();
    await audit(page, "an invalid verification link");
  });

  await step("forgot password: the same confirmation for any address", async () => {
    await byTestId("nav-logout").click();
    await byTestId("nav-login").click();
    await byTestId("to-forgot-password").click();
    await page.waitForURL(/#\/forgot-password$/);
    await audit(page, "the forgot password form");
    const unknown = `nobody-${Date.now()}@example.com`;
    await byTestId("forgot-email").fill(unknown);
    await byTestId("forgot-submit").click();
    const said = await byTestId("reset-requested").filter({ hasText: /link/ }).textContent();
    await byTestId("forgot-email").fill(email);
    await byTestId("forgot-submit").click();
    await byTestId("reset-requested").filter({ hasText: email }).waitFor();
    const saidAgain = await byTestId("reset-requested").textContent();
    expect(said.replace(unknown, "X") === saidAgain.replace(email, "X"), `the answers differ:\n${said}\n${saidAgain}`);
    await audit(page, "the reset request confirmation");
  });

  let resetRoute = "";
  await step("the emailed link sets a new password; the old one no longer logs in, the new one does", async () => {
    resetRoute = await emailedRoute(email, "reset");
    await page.goto(`${base}${resetRoute}`);
    await byTestId("reset-password").waitFor();
    await audit(page, "the reset password form");
    await byTestId("reset-password").fill("the reset password");
    await byTestId("reset-confirm").fill("the reset password");
    await byTestId("reset-submit").click();
    await page.waitForURL(/#\/login\?reset=done$/);
    await byTestId("reset-done").waitFor();
    await audit(page, "the login page after a reset");
    await logInWith(page, password, page.locator('[data-testid="form-error"]', { hasText: /wrong email or password/i }));
    await logInWith(page, "the reset password");
    await expectLoggedIn();
    password = "the reset password";
  });

  await step("a spent reset link is explained, with a way to ask again", async () => {
    await page.goto(`${base}${resetRoute}`);
    await byTestId("reset-password").fill("yet another password");
    await byTestId("reset-confirm").fill("yet another password");
    await byTestId("reset-submit").click();
    await byTestId("reset-invalid").waitFor();
    await audit(page, "a spent reset link");
    await byTestId("reset-ask-again").click();
    await page.waitForURL(/#\/forgot-password$/);
  });
} else {
  for (const name of ["verification link", "forgot password", "reset password", "spent reset link"]) skip(name, noEmail);
}

if (mockMail) {
  // MOCK ONLY: the mock allows 3 reset requests a minute per address; the real limits are the service's.
  await step("reset requests are throttled: the wait is shown and the button waits it out", async () => {
    await page.goto(`${base}/#/forgot-password`);
    const address = `throttled-${Date.now()}@example.com`;
    await byTestId("forgot-email").fill(address);
    for (let i = 0; i < 4; i++) {
      await page.locator('[data-testid="forgot-submit"]:enabled').click();
      await page.locator('[data-testid="reset-requested"], [data-testid="form-error"]:visible').first().waitFor();
    }
    await page.locator('[data-testid="form-error"]', { hasText: /wait \d+ seconds?/ }).waitFor();
    expect(await byTestId("forgot-submit").isDisabled(), "the button can be pressed again at once");
    await audit(page, "a throttled reset request");
  });
} else {
  skip("reset requests are throttled", "mock only");
}

await finish();

