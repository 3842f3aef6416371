// A banner above every page about the account: why the session ended when
// the shop ended it (expired, or signed out because its refresh token was
// used elsewhere), or, for a signed-in customer whose email is not verified
// yet, a reminder linking to the account page. The reminder can be
// dismissed for the rest of the visit (sessionStorage).

import "./account.css";
import { h, link, replace } from "../dom";
import { dismissEndedNotice, endedNotice, onSessionChange, session } from "../session";

const dismissedKey = (userId: string) => `shop.verify-banner.dismissed.${userId}`;

function isDismissed(userId: string): boolean {
  try {
    return sessionStorage.getItem(dismissedKey(userId)) === "1";
  } catch {
    return false;
  }
}

export function accountBanner(): HTMLElement {
  const banner = h("div", { class: "notice banner account-banner", role: "status", "data-testid": "account-banner", hidden: true });
  let dismissedHere = "";
  let shown = "";
  const render = () => {
    const s = session();
    const ended = s ? "" : endedNotice();
    const remind = s && !s.user.emailVerified && !isDismissed(s.user.id) && dismissedHere !== s.user.id;
    // Renewed tokens change nothing here: keep the elements (and the focus) unless the text changes.
    const key = JSON.stringify([ended, remind && s.user.email]);
    if (key === shown) return;
    shown = key;
    banner.hidden = !ended && !remind;
    banner.dataset.kind = ended ? "ended" : remind ? "unverified" : "";
    if (ended) {
      replace(banner,
        h("p", { "data-testid": "session-ended" }, ended),
        h("span", { class: "actions-row" },
          link("/login", { "data-testid": "banner-login" }, "Log in"),
          h("button", { type: "button", class: "link", onclick: dismissEndedNotice }, "Dismiss"),
        ),
      );
    } else if (s && remind) {
      replace(banner,
        h("p", { "data-testid": "verify-reminder" }, `Please verify your email address: open the link we sent to ${s.user.email}.`),
        h("span", { class: "actions-row" },
          link("/account", { "data-testid": "banner-account" }, "Your account"),
          h("button", {
            type: "button",
            class: "link",
            "data-testid": "dismiss-verify",
            onclick: () => {
              dismissedHere = s.user.id;
              try {
                sessionStorage.setItem(dismissedKey(s.user.id), "1");
              } catch {
                // Kept in memory for this page instead.
              }
              render();
            },
          }, "Dismiss"),
        ),
      );
    } else {
      replace(banner);
    }
  };
  onSessionChange(render);
  render();
  return banner;
}
