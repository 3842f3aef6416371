// What every back-office page shares: the admins-only gate (the role from
// the session, checked with WhoAmI when the session does not know it yet;
// the services refuse non-admins too, and pages show that refusal through
// `adminProblem`), the page heading and the back-office navigation.

import { Code } from "@connectrpc/connect";
import "./admin.css";
import { authClient } from "../../api";
import { h, link, replace, title } from "../../dom";
import { describe, isAbort, type Problem } from "../../errors";
import { problemBox } from "../../forms";
import { Role } from "../../gen/shop/auth/v1/auth_pb";
import { toLogin, type Route } from "../../router";
import { session, updateUser } from "../../session";

export type Section = "products" | "stock" | "orders" | "customers" | "emails";

const SECTIONS: [Section, string][] = [
  ["products", "Products"],
  ["stock", "Stock"],
  ["orders", "Orders"],
  ["customers", "Customers"],
  ["emails", "Emails sent"],
];

/** True when the session's user is an admin (as far as the session knows). */
export function sessionIsAdmin(): boolean {
  return session()?.user.role === Role.ADMIN;
}

/** The back-office navigation, `active` marked as the current page. */
function adminNav(active: Section | null): HTMLElement {
  return h(
    "nav",
    { class: "admin-nav", "aria-label": "Back office" },
    h("ul", null,
      SECTIONS.map(([id, label]) =>
        h("li", null, link(`/admin/${id}`, { "data-testid": `admin-nav-${id}`, "aria-current": id === active ? "page" : null }, label)),
      ),
    ),
  );
}

/** The page non-admins get instead of a back-office page. */
function adminsOnly(main: HTMLElement): void {
  replace(
    main,
    title("Admins only"),
    h("div", { class: "notice", "data-testid": "admins-only" },
      h("p", null, "The back office is for the shop's admins. Your account is a customer account."),
      h("p", null, link("/", null, "Back to the shop"), " · ", link("/orders", null, "Your orders")),
    ),
  );
}

/**
 * Starts a back-office page: sends a logged-out visitor to log in, shows
 * "Admins only" to anyone else, and for admins renders the heading and the
 * navigation and returns true.
 */
export async function adminPage(main: HTMLElement, route: Route, active: Section | null, heading: string): Promise<boolean> {
  const s = session();
  if (!s) {
    toLogin();
    return false;
  }
  if (!s.user.role) {
    // A session stored before roles were kept: ask who this is.
    try {
      updateUser(await authClient.whoAmI({}, { signal: route.signal }));
    } catch (err) {
      if (!isAbort(err)) replace(main, title(heading), problemBox(describe(err)));
      return false;
    }
  }
  if (!sessionIsAdmin()) {
    adminsOnly(main);
    return false;
  }
  main.append(adminNav(active), title(heading));
  return true;
}

/** A failed call described for the back office: PERMISSION_DENIED says the role is missing. */
export function adminProblem(err: unknown): Problem {
  return describe(err, {
    [Code.PermissionDenied]:
      "The shop refused this: your account is not (or no longer) an admin. If your role changed, log out and in again.",
    reasons: {
      INSUFFICIENT_STOCK: "There are fewer units in stock than that: stock never goes below zero.",
      LAST_ADMIN: "This is the shop's last admin: make another account an admin first.",
      SHIPMENT_STATUS: "The shipment is no longer at that step (someone may have moved it on). Reload the page to see where it is.",
      TOO_MANY_IMAGES: "A product has at most 8 images: delete one first.",
      IDEMPOTENCY_KEY_REUSED: "This top-up was already sent with other details. Reload the page before trying again.",
    },
  });
}

/** A page-level error box for `err`, or null for an aborted call (the person left). */
export function problemFor(err: unknown): HTMLElement | null {
  return isAbort(err) ? null : problemBox(adminProblem(err));
}
