// The pages that emailed links open, and the way to ask for one:
// #/forgot-password (RequestPasswordReset: always the same confirmation, so
// it never tells whether an address has an account), #/reset-password?token=
// (ResetPassword, then to the login page), #/verify?token= (VerifyEmail).

import "./account.css";
import { Code, ConnectError } from "@connectrpc/connect";
import { authClient } from "../api";
import { h, link, loading, title } from "../dom";
import { describe } from "../errors";
import { busy, clearProblem, field, formError, inputOf, refuseInvalid, showMessage, showProblem, valueOf } from "../forms";
import { RetryInfoSchema } from "../gen/google/rpc/error_details_pb";
import { navigate, type Route } from "../router";
import { logOut, session, updateUser } from "../session";
import { emailProblem, newPasswordProblems } from "../validate";

/** Seconds to wait before asking again (RESOURCE_EXHAUSTED's RetryInfo), or 0. */
function retryDelaySeconds(err: unknown): number {
  const delay = ConnectError.from(err).findDetails(RetryInfoSchema)[0]?.retryDelay;
  return delay ? Math.max(1, Math.ceil(Number(delay.seconds) + delay.nanos / 1e9)) : 0;
}

export function forgotPasswordView(main: HTMLElement, route: Route): void {
  const summary = formError();
  const done = h("p", { class: "success", role: "status", "data-testid": "reset-requested" });
  const submit = h("button", { type: "submit", "data-testid": "forgot-submit" }, "Email me a link");
  const form = h(
    "form",
    { class: "stack narrow", novalidate: true },
    summary,
    field({ path: "email", label: "Email", type: "email", autocomplete: "email", testid: "forgot-email" }),
    submit,
    done,
  );
  main.append(
    title("Forgot your password?"),
    h("p", null, "Enter the email address of your account and we will email you a link to choose a new password."),
    form,
    h("p", null, link("/login", null, "Back to log in")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    done.textContent = "";
    const email = valueOf(form, "email");
    const bad = emailProblem(email);
    if (refuseInvalid(form, summary, bad ? new Map([["email", bad]]) : new Map())) return;
    let wait = 0;
    void busy(submit, "Sending…", async () => {
      clearProblem(form, summary);
      try {
        await authClient.requestPasswordReset({ email }, { signal: route.signal });
        done.textContent = `If ${email} belongs to an account, we have emailed it a link to choose a new password. The link works for 30 minutes.`;
      } catch (err) {
        showProblem(form, summary, describe(err));
        if (ConnectError.from(err).code === Code.ResourceExhausted) wait = retryDelaySeconds(err);
      }
    }).then(() => {
      if (!wait) return;
      // Throttled: the button waits out the delay the shop asked for.
      submit.disabled = true;
      setTimeout(() => (submit.disabled = false), wait * 1000);
    });
  });
}

function askAgain(): HTMLAnchorElement {
  return link("/forgot-password", { "data-testid": "reset-ask-again" }, "Ask for a new link");
}

export function resetPasswordView(main: HTMLElement, route: Route): void {
  const token = route.query.get("token") ?? "";
  main.append(title("Choose a new password"));
  if (!token) {
    main.append(h("p", { "data-testid": "reset-invalid" }, "This link is incomplete. Open the link from the email again, or ", askAgain(), "."));
    return;
  }
  const summary = formError();
  const submit = h("button", { type: "submit", "data-testid": "reset-submit" }, "Set new password");
  const form = h(
    "form",
    { class: "stack narrow", novalidate: true },
    summary,
    field({ path: "new_password", label: "New password", type: "password", autocomplete: "new-password", hint: "At least 10 characters; spaces are fine.", testid: "reset-password" }),
    field({ path: "confirm_password", label: "New password again", type: "password", autocomplete: "new-password", testid: "reset-confirm" }),
    submit,
  );
  main.append(form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const newPassword = inputOf(form, "new_password")?.value ?? "";
    if (refuseInvalid(form, summary, newPasswordProblems(newPassword, inputOf(form, "confirm_password")?.value ?? ""))) return;
    void busy(submit, "Saving…", async () => {
      clearProblem(form, summary);
      try {
        await authClient.resetPassword({ token, newPassword });
        // Every session of the account was revoked, this browser's too.
        logOut();
        navigate("/login?reset=done");
      } catch (err) {
        const problem = describe(err);
        if (problem.reason === "RESET_TOKEN_INVALID") {
          form.replaceWith(h("div", { class: "form-error", role: "alert", "data-testid": "reset-invalid" },
            h("p", null, "This link has expired or was already used: a reset link works once, for 30 minutes."),
            h("p", null, askAgain()),
          ));
          return;
        }
        showProblem(form, summary, problem);
      }
    });
  });
}

export function verifyEmailView(main: HTMLElement, route: Route): void {
  const token = route.query.get("token") ?? "";
  const waiting = loading("Checking your link…");
  main.append(title("Verify your email"), waiting);
  const next = () =>
    session()
      ? h("p", null, "You can ask for a new link on ", link("/account", { "data-testid": "verify-to-account" }, "your account page"), ".")
      : h("p", null, link(`/login?next=${encodeURIComponent("/account")}`, null, "Log in"), " to ask for a new link from your account page.");
  const invalid = () =>
    h("div", { class: "form-error", role: "alert", "data-testid": "verify-invalid" },
      h("p", null, "This link has expired or was already used, or a newer one was sent since."),
      next(),
    );
  if (!token) {
    waiting.replaceWith(invalid());
    return;
  }
  authClient.verifyEmail({ token }, { signal: route.signal }).then(
    (user) => {
      updateUser(user);
      waiting.replaceWith(
        h("p", { class: "success", role: "status", "data-testid": "verify-done" }, `Thank you: ${user.email} is verified.`),
        h("p", null, link("/", null, "Continue shopping")),
      );
    },
    (err) => {
      const problem = describe(err);
      if (problem.code === Code.Canceled) return;
      if (problem.reason === "VERIFICATION_TOKEN_INVALID") {
        waiting.replaceWith(invalid());
        return;
      }
      const summary = formError();
      waiting.replaceWith(summary);
      showMessage(summary, problem.message);
    },
  );
}
