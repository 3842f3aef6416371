// #/admin/stock: choose a product; #/admin/stock/<id>: its stock levels
// (GetStock), an adjustment (a delta and a reason, checked before sending)
// and the reservations holding its units (by status, paged).

import { catalog } from "../../api";
import { announce } from "../../announce";
import { h, link, loading, replace } from "../../dom";
import { busy, clearProblem, field, formError, refuseInvalid, showProblem, valueOf } from "../../forms";
import { ReservationStatus, type Reservation, type Stock } from "../../gen/shop/catalog/v1/inventory_pb";
import { navigate, type Route } from "../../router";
import { shortId } from "../../numbers";
import { formatTime } from "../../status";
import { inventory } from "./clients";
import { adjustmentProblems, availabilityText } from "./values";
import { adminPage, adminProblem, problemFor } from "./shell";
import { pagedTable, selectField } from "./table";

export async function adminStockPickView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "stock", "Stock"))) return;
  const body = h("div", null, loading());
  main.append(body);
  try {
    const res = await catalog.listProducts({ pageSize: 100, orderBy: "name" }, { signal: route.signal });
    const { wrap, select } = selectField("stock-product", "Product", [["", "Choose a product"], ...res.products.map((p): [string, string] => [p.id, p.name])], "stock-product");
    select.addEventListener("change", () => select.value && navigate(`/admin/stock/${select.value}`));
    replace(body, h("div", { class: "narrow" }, wrap), h("p", { class: "muted" }, "Or open Stock from a product in the Products table."));
  } catch (err) {
    replace(body, problemFor(err));
  }
}

export async function adminStockView(main: HTMLElement, route: Route): Promise<void> {
  if (!(await adminPage(main, route, "stock", "Stock"))) return;
  const productId = route.params[0];
  const body = h("div", { class: "stack" }, loading());
  main.append(body);
  let name = "";
  try {
    const p = await catalog.getProduct({ id: productId }, { signal: route.signal });
    name = p.name;
  } catch (err) {
    replace(body, problemFor(err));
    return;
  }
  const levels = h("p", { "data-testid": "stock-levels", role: "status" });
  const showStock = (s: Stock) => replace(levels, h("strong", null, `${s.available} available`), ` · ${s.reserved} held by reservations`);
  const refreshAvailability = h("span", { class: "muted", "data-testid": "stock-availability" });
  const refreshStock = async () => {
    try {
      showStock(await inventory.getStock({ productId }, { signal: route.signal }));
      const p = await catalog.getProduct({ id: productId }, { signal: route.signal });
      refreshAvailability.textContent = `Shoppers see: ${availabilityText(p.availability)}`;
    } catch (err) {
      replace(levels, problemFor(err));
    }
  };

  const summary = formError();
  const submit = h("button", { type: "submit", "data-testid": "stock-adjust" }, "Adjust stock");
  const form = h("form", { class: "stack narrow", novalidate: true, "data-testid": "stock-form" },
    summary,
    field({ path: "delta", label: "Units to add or remove", testid: "stock-delta", inputmode: "numeric", hint: "Positive adds, negative removes, e.g. -3" }),
    field({ path: "reason", label: "Reason", testid: "stock-reason", maxlength: 200, hint: "For the audit log, e.g. delivery 2026-11-28" }),
    h("div", null, submit),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const delta = valueOf(form, "delta");
    const reason = valueOf(form, "reason");
    if (refuseInvalid(form, summary, adjustmentProblems(delta, reason))) return;
    void busy(submit, "Adjusting…", async () => {
      try {
        const s = await inventory.adjustStock({ productId, delta: BigInt(delta), reason }, { signal: route.signal });
        clearProblem(form, summary);
        form.reset();
        showStock(s);
        announce(`Stock of ${name} is now ${s.available}.`);
        await refreshStock();
      } catch (err) {
        showProblem(form, summary, adminProblem(err));
      }
    });
  });

  let status = ReservationStatus.UNSPECIFIED;
  const { wrap, select } = selectField("reservation-status", "Reservations in status", [
    ["0", "Any status"],
    [String(ReservationStatus.HELD), "Held"],
    [String(ReservationStatus.COMMITTED), "Committed (sold)"],
    [String(ReservationStatus.RELEASED), "Released"],
  ], "reservation-status");
  const table = pagedTable<Reservation>({
    caption: "Reservations",
    testid: "reservations",
    orderBy: "",
    empty: "No reservations.",
    columns: [
      { label: "Order", cell: (r) => link(`/admin/orders/${r.id}`, null, shortId(r.id)) },
      { label: "Status", cell: (r) => ReservationStatus[r.status]?.toLowerCase() ?? "" },
      { label: "Units", className: "num", cell: (r) => String(r.lines.find((l) => l.productId === productId)?.quantity ?? 0n) },
      { label: "Made", cell: (r) => formatTime(r.createTime) },
      { label: "Held until", cell: (r) => (r.status === ReservationStatus.HELD ? formatTime(r.expireTime) : "—") },
    ],
    fetch: async (pageToken, _orderBy, pageSize) => {
      const res = await inventory.listReservations({ productId, status, pageToken, pageSize }, { signal: route.signal });
      return { items: res.reservations, next: res.nextPageToken };
    },
  });
  select.addEventListener("change", () => {
    status = Number(select.value) as ReservationStatus;
    void table.reload();
  });

  replace(
    body,
    h("h2", { "data-testid": "stock-product-name" }, link(`/admin/products/${productId}`, null, name)),
    levels,
    refreshAvailability,
    h("h2", null, "Adjust"),
    form,
    h("h2", null, "Reservations"),
    h("div", { class: "narrow" }, wrap),
    table.element,
  );
  await Promise.all([refreshStock(), table.reload()]);
}
