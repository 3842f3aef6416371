// Unit tests of src/tokens.ts: when a session renews its access token, and
// what a person reads when the shop refuses to renew it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { endedMessage, isDue, isSpent, renewAt } from "../src/tokens";

const MIN = 60_000;

test("a 15-minute token is renewed one minute before it expires", () => {
  assert.equal(renewAt(0, 15 * MIN), 14 * MIN);
});

test("a short token is renewed a fifth of its life early", () => {
  assert.equal(renewAt(1000, 6000), 5000);
  assert.equal(renewAt(0, 2 * MIN), 2 * MIN - 24_000);
});

test("a token without an expiry is never due", () => {
  assert.equal(renewAt(0, 0), 0);
  assert.equal(isDue({ issuedAt: 0, expiresAt: 0 }, Number.MAX_SAFE_INTEGER), false);
});

test("a token is due from its renewal time on, and when already expired", () => {
  const s = { issuedAt: 0, expiresAt: 15 * MIN };
  assert.equal(isDue(s, 14 * MIN - 1), false);
  assert.equal(isDue(s, 14 * MIN), true);
  assert.equal(isDue(s, 20 * MIN), true);
});

test("a token whose clock runs backwards (issued after its expiry) is due at once", () => {
  assert.equal(isDue({ issuedAt: 10_000, expiresAt: 5_000 }, 5_000), true);
});

test("a refresh token is spent from its expiry on; none given means it does not expire", () => {
  assert.equal(isSpent({ refreshExpiresAt: 100 }, 99), false);
  assert.equal(isSpent({ refreshExpiresAt: 100 }, 100), true);
  assert.equal(isSpent({ refreshExpiresAt: 0 }, Number.MAX_SAFE_INTEGER), false);
});

test("a reused refresh token says the session was used elsewhere; anything else just ended", () => {
  assert.match(endedMessage("REFRESH_TOKEN_REUSED"), /used from somewhere else/);
  assert.match(endedMessage("REFRESH_TOKEN_INVALID"), /session has ended/);
  assert.match(endedMessage(""), /session has ended/);
});
