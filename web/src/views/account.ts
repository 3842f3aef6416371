// #/account: the signed-in customer's name (UpdateProfile), whether their
// email is verified (with "send again": ResendVerificationEmail), and a
// password change (ChangePassword, which keeps this session and ends the
// others), and the way to the saved addresses (views/addresses.ts). Logged out, it shows nothing of the account (also after "Log out"
// and the back button), only a way to log in.

import "./account.css";
import { Code } from "@connectrpc/connect";
import { authClient } from "../api";
import { h, link, loading, title } from "../dom";
import { describe, isAbort } from "../errors";
import { busy, clearProblem, field, formError, inputOf, refuseInvalid, showMessage, showProblem, valueOf } from "../forms";
import type { User } from "../gen/shop/auth/v1/auth_pb";
import { type Route } from "../router";
import { onSessionChange, session, updateUser } from "../session";
import { newPasswordProblems } from "../validate";

function status(testid: string): HTMLParagraphElement {
  return h("p", { class: "success", role: "status", "data-testid": testid });
}

function loggedOut(main: HTMLElement): void {
  main.replaceChildren(
    title("Your account"),
    h("p", { "data-testid": "account-logged-out" }, link(`/login?next=${encodeURIComponent("/account")}`, null, "Log in"), " to see your account."),
  );
}

export function accountView(main: HTMLElement, route: Route): void {
  const s = session();
  if (!s) return loggedOut(main);
  const me = s.user.id;
  // Logged out (here or in another tab) while on the page: take the account off the screen.
  onSessionChange(() => {
    if (session()?.user.id !== me) loggedOut(main);
  }, route.signal);

  const waiting = loading();
  main.append(title("Your account"), waiting);
  void authClient.whoAmI({}, { signal: route.signal }).then(
    (user) => {
      updateUser(user);
      if (session()?.user.id !== me) return;
      waiting.replaceWith(h("div", { class: "stack narrow" }, profileSection(user), emailSection(user), addressesSection(), passwordSection()));
    },
    (err) => {
      if (isAbort(err)) return;
      const summary = formError();
      waiting.replaceWith(summary);
      showMessage(summary, describe(err).message);
    },
  );
}

function profileSection(user: User): HTMLElement {
  const summary = formError();
  const done = status("profile-saved");
  const submit = h("button", { type: "submit", "data-testid": "profile-submit" }, "Save name");
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    summary,
    h("p", null, "Email: ", h("strong", { "data-testid": "account-email" }, user.email)),
    field({ path: "display_name", label: "Your name", autocomplete: "name", maxlength: 100, value: user.displayName, testid: "profile-name" }),
    submit,
    done,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    done.textContent = "";
    const displayName = valueOf(form, "display_name");
    if (refuseInvalid(form, summary, displayName ? new Map() : new Map([["display_name", "enter your name"]]))) return;
    void busy(submit, "Saving…", async () => {
      clearProblem(form, summary);
      try {
        updateUser(await authClient.updateProfile({ displayName }));
        done.textContent = "Your name has been saved.";
      } catch (err) {
        showProblem(form, summary, describe(err));
      }
    });
  });
  return h("section", { class: "account-section", "aria-labelledby": "account-profile" }, h("h2", { id: "account-profile" }, "Profile"), form);
}

function emailSection(user: User): HTMLElement {
  const box = h("div", { class: "stack" });
  const render = (verified: boolean) => {
    if (verified) {
      box.replaceChildren(h("p", { "data-testid": "email-status", "data-verified": "true" }, h("span", { class: "verified" }, "Verified"), ` — ${user.email} is confirmed.`));
      return;
    }
    const summary = formError();
    const done = status("verification-sent");
    const again = h("button", { type: "button", class: "secondary", "data-testid": "resend-verification" }, "Send the link again");
    again.addEventListener("click", () => {
      done.textContent = "";
      void busy(again, "Sending…", async () => {
        summary.hidden = true;
        try {
          await authClient.resendVerificationEmail({});
          done.textContent = `We sent a new link to ${user.email}. Earlier links no longer work.`;
        } catch (err) {
          const problem = describe(err);
          if (problem.reason === "EMAIL_ALREADY_VERIFIED") {
            updateUser(await authClient.whoAmI({}).catch(() => ({ ...user, emailVerified: true })));
            render(true);
            return;
          }
          showMessage(summary, problem.message);
        }
      });
    });
    box.replaceChildren(
      h("p", { "data-testid": "email-status", "data-verified": "false" }, h("span", { class: "unverified" }, "Not verified"), ` — open the link we emailed to ${user.email}.`),
      summary,
      h("p", null, again),
      done,
    );
  };
  render(user.emailVerified);
  return h("section", { class: "account-section", "aria-labelledby": "account-email-h" }, h("h2", { id: "account-email-h" }, "Email address"), box);
}

function addressesSection(): HTMLElement {
  return h("section", { class: "account-section", "aria-labelledby": "account-addresses" },
    h("h2", { id: "account-addresses" }, "Addresses"),
    h("p", null, link("/account/addresses", { "data-testid": "account-addresses-link" }, "Your saved addresses"), ": add, change or delete them, and choose the one checkout offers first."));
}

function passwordSection(): HTMLElement {
  const summary = formError();
  const done = status("password-changed");
  const submit = h("button", { type: "submit", "data-testid": "password-submit" }, "Change password");
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    summary,
    field({ path: "current_password", label: "Current password", type: "password", autocomplete: "current-password", testid: "current-password" }),
    field({ path: "new_password", label: "New password", type: "password", autocomplete: "new-password", hint: "At least 10 characters; spaces are fine.", testid: "new-password" }),
    field({ path: "confirm_password", label: "New password again", type: "password", autocomplete: "new-password", testid: "confirm-password" }),
    submit,
    done,
  );
  const raw = (path: string) => inputOf(form, path)?.value ?? "";
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    done.textContent = "";
    const currentPassword = raw("current_password");
    const newPassword = raw("new_password");
    const problems = newPasswordProblems(newPassword, raw("confirm_password"));
    if (!currentPassword) problems.set("current_password", "enter your current password");
    if (refuseInvalid(form, summary, problems)) return;
    void busy(submit, "Changing…", async () => {
      clearProblem(form, summary);
      try {
        // This session's refresh token stays valid; every other session ends.
        await authClient.changePassword({ currentPassword, newPassword, refreshToken: session()?.refreshToken ?? "" });
        form.reset();
        done.textContent = "Your password has been changed. You were signed out everywhere else.";
      } catch (err) {
        const problem = describe(err);
        if (problem.reason === "WRONG_PASSWORD" || (problem.code === Code.PermissionDenied && !problem.reason)) {
          problem.message = "Your current password is not right.";
          problem.fields.set("current_password", "is not your current password");
        }
        showProblem(form, summary, problem);
      }
    });
  });
  return h("section", { class: "account-section", "aria-labelledby": "account-password" }, h("h2", { id: "account-password" }, "Password"), form);
}
