// Where a confirmed order's parcel is, in pure functions (no DOM, so the
// unit tests run them in Node): the steps Confirmed -> Packed -> Shipped ->
// Delivered with their times, from the order (which hears of SHIPPED and
// DELIVERED) and its shipment (the only source for PACKED), and whether the
// order may still be cancelled.

import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ShipmentStatus, type Shipment } from "./gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderStatus, type Order } from "./gen/shop/orders/v1/orders_pb";

export type StepKey = "CONFIRMED" | "PACKED" | "SHIPPED" | "DELIVERED";

export interface Step {
  key: StepKey;
  label: string;
  done: boolean;
  /** The last step done: where the parcel is now. */
  current: boolean;
  time: Timestamp | undefined;
}

/** Order statuses whose page shows the parcel's progress. */
export function showsTracking(status: OrderStatus): boolean {
  return status === OrderStatus.CONFIRMED || status === OrderStatus.SHIPPED || status === OrderStatus.DELIVERED;
}

/** While the parcel may still move: its shipment is worth reading again. */
export function awaitsDelivery(status: OrderStatus): boolean {
  return status === OrderStatus.CONFIRMED || status === OrderStatus.SHIPPED;
}

const parcelLeft = (s: Shipment | undefined) =>
  s?.status === ShipmentStatus.SHIPPED || s?.status === ShipmentStatus.DELIVERED;

/**
 * The progress steps. Either source may be ahead of the other (the shipment
 * is read now and then, the order follows events), so a step is done when
 * either says so, and every step before a done one is done too.
 */
export function trackingSteps(
  order: Pick<Order, "status" | "shipment">,
  shipment: Shipment | undefined,
  confirmTime: Timestamp | undefined,
): Step[] {
  const o = order.status;
  const s = shipment?.status;
  const reached: [StepKey, string, boolean, Timestamp | undefined][] = [
    ["CONFIRMED", "Confirmed", showsTracking(o), confirmTime ?? shipment?.createTime],
    ["PACKED", "Packed", s === ShipmentStatus.PACKED, shipment?.packTime],
    ["SHIPPED", "Shipped", o === OrderStatus.SHIPPED || parcelLeft(shipment), order.shipment?.shipTime ?? shipment?.shipTime],
    ["DELIVERED", "Delivered", o === OrderStatus.DELIVERED || s === ShipmentStatus.DELIVERED, order.shipment?.deliverTime ?? shipment?.deliverTime],
  ];
  let last = -1;
  reached.forEach(([, , done], i) => {
    if (done) last = i;
  });
  return reached.map(([key, label, , time], i) => ({
    key,
    label,
    done: i <= last,
    current: i === last,
    time: i <= last ? time : undefined,
  }));
}

/** The parcel's carrier and tracking number, from the order or else the shipment; null before it ships. */
export function parcelOf(order: Pick<Order, "shipment">, shipment: Shipment | undefined): { carrier: string; trackingNumber: string } | null {
  if (order.shipment?.trackingNumber) return { carrier: order.shipment.carrier, trackingNumber: order.shipment.trackingNumber };
  if (parcelLeft(shipment) && shipment!.trackingNumber) return { carrier: shipment!.carrier, trackingNumber: shipment!.trackingNumber };
  return null;
}

/** Whether to offer "Cancel order": confirmed, and the parcel has not left (as far as the page knows). */
export function isCancellable(status: OrderStatus, shipment: Shipment | undefined): boolean {
  return status === OrderStatus.CONFIRMED && !parcelLeft(shipment) && shipment?.status !== ShipmentStatus.CANCELLED;
}
