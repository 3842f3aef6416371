// The back office's clients for the services the storefront itself does not
// call (stock, emails), on the storefront's transport (same token handling).

import { createClient } from "@connectrpc/connect";
import { transport } from "../../api";
import { InventoryService } from "../../gen/shop/catalog/v1/inventory_pb";
import { NotificationService } from "../../gen/shop/notifications/v1/notifications_pb";

export const inventory = createClient(InventoryService, transport);
export const notifications = createClient(NotificationService, transport);
