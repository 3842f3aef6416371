// Unit tests of src/validate.ts: what the login and register forms refuse
// before calling the server, and that a well-formed address always passes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { credentialProblems, emailProblem, newPasswordProblems } from "../src/validate";

test("an email address must be there and shaped like one", () => {
  assert.equal(emailProblem(""), "enter your email address");
  assert.equal(emailProblem("   "), "enter your email address");
  for (const bad of ["ada", "@example.com", "ada@", "ada@example", "ada@.com", "ada@example.", "ada@b@example.com", "ada lovelace@example.com"]) {
    assert.match(emailProblem(bad), /must be an email address/, bad);
  }
  for (const good of ["ada@example.com", "  Ada@Example.COM ", "a.b+shop@mail.example.co.uk"]) {
    assert.equal(emailProblem(good), "", good);
  }
});

test("credentials name each missing or malformed field", () => {
  assert.deepEqual([...credentialProblems("", "")], [["email", "enter your email address"], ["password", "enter your password"]]);
  assert.deepEqual([...credentialProblems("nope", "secret words")], [["email", "must be an email address, like ada@example.com"]]);
  assert.equal(credentialProblems("ada@example.com", "x").size, 0);
});

test("a new password must be there and typed the same twice", () => {
  assert.deepEqual([...newPasswordProblems("", "")], [["new_password", "enter a new password"]]);
  assert.deepEqual([...newPasswordProblems("correct horse", "correct hose")], [["confirm_password", "does not match the new password"]]);
  assert.equal(newPasswordProblems("correct horse", "correct horse").size, 0);
  // Spaces count: a password of spaces is the server's to judge, but the copy must match exactly.
  assert.equal(newPasswordProblems("  spaced out  ", "  spaced out  ").size, 0);
  assert.equal(newPasswordProblems("  spaced out  ", "spaced out").size, 1);
});
