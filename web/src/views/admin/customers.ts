// #/admin/customers: the accounts (search, role filter, sort, paged);
// #/admin/customers/<id>: one account with its wallet balance (USD), a
// top-up (its idempotency key is made once per submitted form content, so a
// double click or a retry after a lost answer credits once), its role, and
// links to its orders and emails.

import { authClient, payments } from "../../api";
import { announce } from "../../announce";
import { h, link, loading, replace } from "../../dom";
import { busy, clearProblem, field, formError, refuseInvalid, showProblem, valueOf } from "../../forms";
import { Role, type User } from "../../gen/shop/auth/v1/auth_pb";
import { formatMoney } from "../../money";
import type { Route } from "../../router";
import { session } from "../../session";
import { formatTime } from "../../status";
import { parseMinor, topUpProblems } from "./values";
import { adminPage, adminProblem, problemFor } from "./shell";
import { pagedTable, selectField } from "./table";

export function roleText(role: Role): string {
  return role === Role.ADMIN ? "Admin" : role === Role.CUSTOMER ? "Customer" : "Unknown";
}

export async function adminCustomersView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "customers", "Customers"))) return;
  let query = "";
  let role = Role.UNSPECIFIED;
  const search = h("input", { id: "customer-q", type: "search", maxlength: 100, "data-testid": "customer-query" });
  const { wrap, select } = selectField("customer-role", "Role", [["0", "Any role"], [String(Role.CUSTOMER), "Customers"], [String(Role.ADMIN), "Admins"]], "customer-role");
  const table = pagedTable<User>({
    caption: "Customers",
    testid: "admin-customers",
    orderBy: "create_time desc",
    empty: "No accounts match.",
    columns: [
      { label: "Email", sort: "email", cell: (u) => link(`/admin/customers/${u.id}`, { "data-testid": "customer-link" }, u.email) },
      { label: "Name", cell: (u) => u.displayName },
      { label: "Role", cell: (u) => roleText(u.role) },
      { label: "Joined", sort: "create_time", cell: (u) => formatTime(u.createTime) },
    ],
    rowProps: (u) => ({ "data-user-id": u.id, "data-testid": "customer-row" }),
    fetch: async (pageToken, orderBy, pageSize) => {
      const res = await authClient.listUsers({ pageToken, orderBy, pageSize, query, role }, { signal: route.signal });
      return { items: res.users, next: res.nextPageToken };
    },
  });
  const form = h("form", { class: "filters", role: "search", onsubmit: (e: Event) => {
    e.preventDefault();
    query = search.value.trim();
    void table.reload();
  } },
    h("div", { class: "field" }, h("label", { for: "customer-q" }, "Email or name"), search),
    wrap,
    h("div", { class: "field end-aligned" }, h("button", { type: "submit", "data-testid": "customer-search" }, "Search")),
  );
  select.addEventListener("change", () => {
    role = Number(select.value) as Role;
    void table.reload();
  });
  main.append(form, table.element);
  await table.reload();
}

export async function adminCustomerView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "customers", "Customer"))) return;
  const id = route.params[0];
  const body = h("div", { class: "stack" }, loading());
  main.append(body);
  let user: User;
  try {
    user = await authClient.getUser({ id }, { signal: route.signal });
  } catch (err) {
    replace(body, problemFor(err));
    return;
  }
  const heading = main.querySelector("h1");
  if (heading) heading.textContent = user.displayName || user.email;

  const details = h("dl", { class: "totals" });
  const renderDetails = () =>
    replace(details,
      h("dt", null, "Email"), h("dd", { "data-testid": "customer-email" }, user.email, user.emailVerified ? " (verified)" : " (not verified)"),
      h("dt", null, "Role"), h("dd", { "data-testid": "customer-role-now" }, roleText(user.role)),
      h("dt", null, "Joined"), h("dd", null, formatTime(user.createTime)),
    );
  renderDetails();

  // --- wallet
  const balance = h("p", { "data-testid": "wallet-balance", role: "status" }, "Loading the balance…");
  const showBalance = async () => {
    try {
      const w = await payments.getWallet({ userId: id, currencyCode: "USD" }, { signal: route.signal });
      replace(balance, "Balance: ", h("strong", { "data-amount-minor": String(w.balance?.amountMinor ?? 0n) }, formatMoney(w.balance)));
    } catch (err) {
      replace(balance, problemFor(err));
    }
  };
  const topUpSummary = formError();
  const topUpButton = h("button", { type: "submit", "data-testid": "topup-submit" }, "Add credit");
  const topUp = h("form", { class: "stack narrow", novalidate: true, "data-testid": "topup-form" },
    topUpSummary,
    field({ path: "amount.amount_minor", label: "Amount (USD)", testid: "topup-amount", inputmode: "decimal", hint: "e.g. 25.00" }),
    field({ path: "reason", label: "Reason", testid: "topup-reason", maxlength: 200, hint: "For the audit log, e.g. goodwill credit" }),
    h("div", null, topUpButton),
  );
  // One key per content: the same content sent again (a double click, a retry) is the same top-up.
  let key = "";
  let keyFor = "";
  topUp.addEventListener("submit", (e) => {
    e.preventDefault();
    const amount = valueOf(topUp, "amount.amount_minor");
    const reason = valueOf(topUp, "reason");
    if (refuseInvalid(topUp, topUpSummary, topUpProblems(amount, reason))) return;
    const amountMinor = parseMinor(amount);
    const content = `${amountMinor}|${reason}`;
    if (content !== keyFor) {
      key = crypto.randomUUID();
      keyFor = content;
    }
    void busy(topUpButton, "Adding…", async () => {
      try {
        const w = await payments.topUpWallet({ userId: id, amount: { currencyCode: "USD", amountMinor: amountMinor! }, idempotencyKey: key, reason }, { signal: route.signal });
        clearProblem(topUp, topUpSummary);
        topUp.reset();
        keyFor = "";
        replace(balance, "Balance: ", h("strong", { "data-amount-minor": String(w.balance?.amountMinor ?? 0n) }, formatMoney(w.balance)));
        announce(`Added credit. The balance is now ${formatMoney(w.balance)}.`);
      } catch (err) {
        showProblem(topUp, topUpSummary, adminProblem(err));
      }
    });
  });

  // --- role
  const roleSummary = formError();
  const { wrap, select } = selectField("role-select", "Role", [[String(Role.CUSTOMER), "Customer"], [String(Role.ADMIN), "Admin"]], "role-select", String(user.role));
  const roleButton = h("button", { type: "submit", "data-testid": "role-submit" }, "Change role");
  const roleSaved = h("p", { class: "muted", role: "status", "data-testid": "role-saved" });
  const roleForm = h("form", { class: "stack narrow", "data-testid": "role-form" },
    roleSummary, wrap,
    h("p", { class: "hint" }, "Takes effect when the person next logs in or their session is refreshed."),
    h("div", null, roleButton), roleSaved);
  roleForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const role = Number(select.value) as Role;
    roleSaved.textContent = "";
    void busy(roleButton, "Saving…", async () => {
      try {
        user = await authClient.setUserRole({ id, role }, { signal: route.signal });
        clearProblem(roleForm, roleSummary);
        renderDetails();
        const own = id === session()?.user.id && user.role !== Role.ADMIN ? " That is your own account: the back office stays open to you until you log out." : "";
        roleSaved.textContent = `${user.email} is now ${roleText(user.role).toLowerCase()}.${own}`;
      } catch (err) {
        showProblem(roleForm, roleSummary, adminProblem(err));
      }
    });
  });

  replace(
    body,
    details,
    h("p", null, link(`/admin/orders?user=${encodeURIComponent(id)}`, { "data-testid": "customer-orders" }, "Their orders"), " · ", link(`/admin/emails?user=${encodeURIComponent(id)}`, null, "Emails sent to them")),
    h("h2", null, "Wallet"),
    balance,
    topUp,
    h("h2", null, "Role"),
    roleForm,
  );
  await showBalance();
}
