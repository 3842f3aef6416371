// The back office's routes, for main.ts: everything under #/admin.

import type { View } from "../../router";
import { adminCustomersView, adminCustomerView } from "./customers";
import { adminEmailsView } from "./emails";
import { adminOrdersView, adminOrderView } from "./orders";
import { adminNewProductView, adminProductsView, adminProductView } from "./products";
import { adminStockPickView, adminStockView } from "./stock";

export { sessionIsAdmin } from "./shell";

export const adminRoutes: [RegExp, View][] = [
  [/^\/admin\/?$/, adminProductsView],
  [/^\/admin\/products$/, adminProductsView],
  [/^\/admin\/products\/new$/, adminNewProductView],
  [/^\/admin\/products\/([^/]+)$/, adminProductView],
  [/^\/admin\/stock$/, adminStockPickView],
  [/^\/admin\/stock\/([^/]+)$/, adminStockView],
  [/^\/admin\/orders$/, adminOrdersView],
  [/^\/admin\/orders\/([^/]+)$/, adminOrderView],
  [/^\/admin\/customers$/, adminCustomersView],
  [/^\/admin\/customers\/([^/]+)$/, adminCustomerView],
  [/^\/admin\/emails$/, adminEmailsView],
];
