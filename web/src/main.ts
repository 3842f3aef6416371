// Entry point: the header (navigation, cart count, who is logged in, news
// about the cart) and the hash routes. Views live in src/views; each renders
// into <main>.

import "./styles.css";
import { Code } from "@connectrpc/connect";
import { authClient } from "./api";
import { cartCount, cartNotice, dismissCartNotice, loadCart, onCartChange } from "./cart";
import { h, link, replace } from "./dom";
import { describe } from "./errors";
import { navigate, startRouter, type View } from "./router";
import { keepSessionAlive, signOut } from "./refresh";
import { expire, onSessionChange, session, updateUser } from "./session";
import { accountView } from "./views/account";
import { addressesView } from "./views/addresses";
import { loginView, registerView } from "./views/auth";
import { accountBanner } from "./views/banner";
import { forgotPasswordView, resetPasswordView, verifyEmailView } from "./views/recovery";
import { notFoundView } from "./views/notfound";
import { cartView } from "./views/cart";
import { catalogView } from "./views/catalog";
import { checkoutView } from "./views/checkout";
import { orderView } from "./views/order";
import { attemptsView, ordersView } from "./views/orders";
import { attemptView } from "./views/attempt";
import { productView } from "./views/product";
import { adminRoutes, sessionIsAdmin } from "./views/admin";

const routes: [RegExp, View][] = [
  [/^\/?$/, catalogView],
  [/^\/product\/([^/]+)$/, productView],
  [/^\/cart$/, cartView],
  [/^\/checkout$/, checkoutView],
  [/^\/orders$/, ordersView],
  [/^\/orders\/([^/]+)$/, orderView],
  [/^\/attempts$/, attemptsView],
  [/^\/attempts\/([^/]+)$/, attemptView],
  [/^\/login$/, loginView],
  [/^\/register$/, registerView],
  [/^\/account$/, accountView],
  [/^\/account\/addresses$/, addressesView],
  [/^\/forgot-password$/, forgotPasswordView],
  [/^\/reset-password$/, resetPasswordView],
  [/^\/verify$/, verifyEmailView],
  ...adminRoutes,
];

/**
 * The header: the pages (a list in the main navigation) and, apart, who is
 * logged in with "Log out", or "Log in" and "Register". Kept apart so a
 * phone can put the account on a row of its own (styles.css).
 */
function renderHeader(nav: HTMLElement, account: HTMLElement): void {
  const s = session();
  const count = cartCount();
  replace(
    nav,
    h("li", null, link("/", null, "Products")),
    s ? h("li", null, link("/orders", { "data-testid": "nav-orders" }, "Orders")) : null,
    sessionIsAdmin() ? h("li", null, link("/admin", { "data-testid": "nav-admin" }, "Back office")) : null,
    h("li", null,
      link("/cart", { "data-testid": "nav-cart", "aria-label": `Cart, ${count} item${count === 1 ? "" : "s"}` },
        "Cart ", h("span", { class: "count", "data-testid": "cart-count" }, String(count)),
      ),
    ),
  );
  replace(
    account,
    s
      ? [
          link("/account", { class: "who", "data-testid": "user-name", title: `Your account (${s.user.email})` }, s.user.displayName || s.user.email),
          h("button", {
            type: "button",
            class: "link",
            "data-testid": "nav-logout",
            onclick: () => {
              void signOut();
              navigate("/");
            },
          }, "Log out"),
        ]
      : [
          link("/login", { "data-testid": "nav-login" }, "Log in"),
          link("/register", { "data-testid": "nav-register" }, "Register"),
        ],
  );
}

/** What the cart module has to say outside any page (e.g. what a merge at login could not keep). */
function renderNotice(banner: HTMLElement): void {
  const text = cartNotice();
  banner.hidden = !text;
  replace(banner, text ? [h("p", null, text), h("button", { type: "button", class: "link", onclick: dismissCartNotice }, "Dismiss")] : null);
}

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const account = document.getElementById("account")!;
// "#main" would be read as a route: move the focus by hand instead.
document.querySelector(".skip")?.addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
const banner = h("div", { class: "notice banner", role: "status", "data-testid": "cart-notice", hidden: true });
main.before(banner);
main.before(accountBanner());
renderHeader(nav, account);
renderNotice(banner);
onCartChange(() => {
  renderHeader(nav, account);
  renderNotice(banner);
});
// Renewed tokens change nothing shown: redraw (and lose the focus) only when who is logged in changes.
const shownUser = () => JSON.stringify(session()?.user ?? null);
let headerUser = shownUser();
onSessionChange(() => {
  if (shownUser() === headerUser) return;
  headerUser = shownUser();
  renderHeader(nav, account);
});
startRouter(main, routes, notFoundView);
keepSessionAlive();

// The cart lives on the server: read it for the badge (pages read it again when they need it fresh).
loadCart().catch(() => {});

// Check a stored token is still accepted, and refresh the name shown.
if (session()) {
  authClient.whoAmI({}).then(updateUser, (err) => {
    if (describe(err).code === Code.Unauthenticated) expire();
  });
}
