// #/admin/emails[?user=<id>]: the emails the shop sent (or queued, or gave
// up on), newest first, by state and by customer, paged.

import { h, link } from "../../dom";
import {
  NotificationKind,
  NotificationState,
  type Notification,
} from "../../gen/shop/notifications/v1/notifications_pb";
import type { Route } from "../../router";
import { formatTime } from "../../status";
import { notifications } from "./clients";
import { adminPage } from "./shell";
import { pagedTable, selectField } from "./table";

const words = (name: string | undefined) => (name ?? "unknown").toLowerCase().replaceAll("_", " ");

export async function adminEmailsView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "emails", "Emails sent"))) return;
  const userId = route.query.get("user") ?? "";
  let state = NotificationState.UNSPECIFIED;
  const { wrap, select } = selectField("email-state", "State", [
    ["0", "Any state"],
    [String(NotificationState.SENT), "Sent"],
    [String(NotificationState.QUEUED), "Queued"],
    [String(NotificationState.FAILED), "Failed"],
  ], "email-state");
  const table = pagedTable<Notification>({
    caption: "Emails",
    testid: "admin-emails",
    orderBy: "",
    empty: "No emails.",
    columns: [
      { label: "Queued", cell: (n) => formatTime(n.createTime) },
      { label: "To", cell: (n) => link(`/admin/customers/${n.userId}`, null, n.recipient || "(address not known yet)") },
      { label: "About", cell: (n) => words(NotificationKind[n.kind]) },
      { label: "Subject", cell: (n) => n.subject },
      { label: "State", cell: (n) => [words(NotificationState[n.state]), n.lastError ? h("span", { class: "muted" }, ` (${n.attempts} tries: ${n.lastError})`) : null] },
      { label: "Sent", cell: (n) => formatTime(n.sendTime) || "—" },
    ],
    rowProps: (n) => ({ "data-testid": "email-row", "data-kind": NotificationKind[n.kind] ?? "" }),
    fetch: async (pageToken, _orderBy, pageSize) => {
      const res = await notifications.listNotifications({ pageToken, pageSize, userId, state }, { signal: route.signal });
      return { items: res.notifications, next: res.nextPageToken };
    },
  });
  select.addEventListener("change", () => {
    state = Number(select.value) as NotificationState;
    void table.reload();
  });
  main.append(
    userId ? h("p", null, "Emails to one customer. ", link("/admin/emails", null, "Show all emails")) : "",
    h("div", { class: "filters" }, wrap),
    table.element,
  );
  await table.reload();
}
