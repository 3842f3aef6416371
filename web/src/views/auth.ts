// #/login and #/register. Both check the email and password in the browser
// before calling the server (src/validate.ts), show problems next to the
// fields, and end logged in and back at ?next= (or home).

import { Code } from "@connectrpc/connect";
import { authClient } from "../api";
import { h, link, title } from "../dom";
import { describe } from "../errors";
import { busy, clearProblem, field, formError, inputOf, refuseInvalid, showMessage, showProblem, valueOf } from "../forms";
import { navigate, type Route } from "../router";
import { logIn, takeExpiredNotice } from "../session";
import { credentialProblems } from "../validate";

/** Only in-app routes, so ?next= cannot send anyone elsewhere. */
function nextRoute(route: Route): string {
  const next = route.query.get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function withNext(path: string, route: Route): string {
  const next = route.query.get("next");
  return next ? `${path}?next=${encodeURIComponent(next)}` : path;
}

function submitButton(text: string, testid: string): HTMLButtonElement {
  return h("button", { type: "submit", "data-testid": testid }, text);
}

export function loginView(main: HTMLElement, route: Route): void {
  const summary = formError();
  const submit = submitButton("Log in", "login-submit");
  const form = h(
    "form",
    { class: "stack narrow", novalidate: true, "data-login-form": true },
    summary,
    field({ path: "email", label: "Email", type: "email", autocomplete: "username", testid: "login-email" }),
    field({ path: "password", label: "Password", type: "password", autocomplete: "current-password", testid: "login-password" }),
    submit,
  );
  main.append(
    title("Log in"),
    form,
    h("p", null, link("/forgot-password", { "data-testid": "to-forgot-password" }, "Forgot password?")),
    h("p", null, "New here? ", link(withNext("/register", route), { "data-testid": "to-register" }, "Create an account")),
  );
  const notice = takeExpiredNotice();
  if (notice) showMessage(summary, notice);
  if (route.query.get("reset") === "done") form.before(passwordChanged());

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const email = valueOf(form, "email");
    const password = inputOf(form, "password")?.value ?? "";
    if (refuseInvalid(form, summary, credentialProblems(email, password))) return;
    void busy(submit, "Logging in…", async () => {
      clearProblem(form, summary);
      try {
        const res = await authClient.login({ email, password });
        logIn(res);
        navigate(nextRoute(route));
      } catch (err) {
        showProblem(form, summary, describe(err, { [Code.Unauthenticated]: "Wrong email or password." }));
      }
    });
  });
}

/** After a password reset (views/recovery.ts): a confirmation, not an error. */
function passwordChanged(): HTMLParagraphElement {
  return h("p", { class: "success", role: "status", "data-testid": "reset-done" }, "Your password has been changed. Log in with your new password.");
}

export function registerView(main: HTMLElement, route: Route): void {
  const summary = formError();
  const submit = submitButton("Create account", "register-submit");
  const form = h(
    "form",
    { class: "stack narrow", novalidate: true },
    summary,
    field({ path: "display_name", label: "Your name", autocomplete: "name", maxlength: 100, testid: "register-name" }),
    field({ path: "email", label: "Email", type: "email", autocomplete: "email", testid: "register-email" }),
    field({
      path: "password",
      label: "Password",
      type: "password",
      autocomplete: "new-password",
      hint: "At least 10 characters; spaces are fine.",
      testid: "register-password",
    }),
    submit,
  );
  main.append(
    title("Create an account"),
    form,
    h("p", null, "Already have an account? ", link(withNext("/login", route), { "data-testid": "to-login" }, "Log in")),
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const email = valueOf(form, "email");
    const password = inputOf(form, "password")?.value ?? "";
    if (refuseInvalid(form, summary, credentialProblems(email, password))) return;
    void busy(submit, "Creating account…", async () => {
      clearProblem(form, summary);
      try {
        const res = await authClient.register({ displayName: valueOf(form, "display_name"), email, password });
        logIn(res);
        navigate(nextRoute(route));
      } catch (err) {
        const problem = describe(err);
        if (problem.code === Code.AlreadyExists) {
          problem.fields.set("email", "already has an account: log in instead");
          problem.message = "An account with this email already exists.";
        }
        showProblem(form, summary, problem);
      }
    });
  });
}
