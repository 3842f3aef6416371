// Checks made in the browser before the login and register forms call the
// server: only what is surely wrong (a field left empty, an email address
// that cannot be one), so a person hears about it at once and an empty form
// never costs a request or a throttled attempt. The server still checks
// everything (password policy, name length); its rules are the reference,
// so nothing here is stricter than the gateway's own.

/** What is wrong with `raw` as an email address, or "" — the gateway's rule: local@domain.tld, no spaces. */
export function emailProblem(raw: string): string {
  const email = raw.trim();
  if (!email) return "enter your email address";
  const at = email.indexOf("@");
  const domain = email.slice(at + 1);
  // A non-empty part before the one "@", a dot inside the domain, no spaces or control characters.
  const shaped =
    at > 0 && !domain.includes("@") && domain.includes(".") && !domain.startsWith(".") && !domain.endsWith(".") && !/[\s\p{Cc}]/u.test(email);
  return shaped ? "" : "must be an email address, like ada@example.com";
}

/** Field path -> what is wrong, for an email and password about to be sent; empty when both may be sent. */
export function credentialProblems(email: string, password: string): Map<string, string> {
  const problems = new Map<string, string>();
  const bad = emailProblem(email);
  if (bad) problems.set("email", bad);
  if (!password) problems.set("password", "enter your password");
  return problems;
}

/**
 * Field path -> what is wrong, for a new password typed twice (reset, change);
 * like Register, only what is surely wrong: the policy is the server's.
 */
export function newPasswordProblems(password: string, confirm: string, path = "new_password"): Map<string, string> {
  const problems = new Map<string, string>();
  if (!password) problems.set(path, "enter a new password");
  else if (password !== confirm) problems.set("confirm_password", "does not match the new password");
  return problems;
}
