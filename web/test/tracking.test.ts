// Unit tests of src/tracking.ts: the progress steps from the order and its
// shipment, the parcel's details, and when an order may be cancelled (with
// status.ts's words for a refused cancel).

import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ShipmentSchema, ShipmentStatus } from "../src/gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderSchema, OrderStatus } from "../src/gen/shop/orders/v1/orders_pb";
import { notCancellableText } from "../src/status";
import { awaitsDelivery, isCancellable, parcelOf, showsTracking, trackingSteps } from "../src/tracking";

const t = (minute: number) => timestampFromDate(new Date(Date.UTC(2026, 11, 1, 10, minute)));
const order = (status: OrderStatus, shipment?: { carrier: string; trackingNumber: string; shipTime?: ReturnType<typeof t>; deliverTime?: ReturnType<typeof t> }) =>
  create(OrderSchema, { status, shipment });
const shipment = (status: ShipmentStatus, more: Parameters<typeof create<typeof ShipmentSchema>>[1] = {}) =>
  create(ShipmentSchema, { status, createTime: t(1), ...more });
const done = (steps: ReturnType<typeof trackingSteps>) => steps.filter((s) => s.done).map((s) => s.key);
const current = (steps: ReturnType<typeof trackingSteps>) => steps.find((s) => s.current)?.key;

test("a confirmed order without a shipment yet is at Confirmed, with the confirmation's time", () => {
  const steps = trackingSteps(order(OrderStatus.CONFIRMED), undefined, t(0));
  assert.deepEqual(done(steps), ["CONFIRMED"]);
  assert.equal(current(steps), "CONFIRMED");
  assert.deepEqual(steps[0].time, t(0));
  assert.equal(steps[1].time, undefined);
});

test("Packed comes from the shipment only", () => {
  const steps = trackingSteps(order(OrderStatus.CONFIRMED), shipment(ShipmentStatus.PACKED, { packTime: t(2) }), undefined);
  assert.deepEqual(done(steps), ["CONFIRMED", "PACKED"]);
  assert.deepEqual(steps[0].time, t(1), "without the event's time, the shipment's creation stands for the confirmation");
  assert.deepEqual(steps[1].time, t(2));
});

test("a shipped order is past Packed even before the shipment is read again", () => {
  const steps = trackingSteps(order(OrderStatus.SHIPPED, { carrier: "Demo Post", trackingNumber: "DEMO-1", shipTime: t(3) }), shipment(ShipmentStatus.PENDING), t(0));
  assert.deepEqual(done(steps), ["CONFIRMED", "PACKED", "SHIPPED"]);
  assert.equal(current(steps), "SHIPPED");
  assert.deepEqual(steps[2].time, t(3));
});

test("a shipment read ahead of the order's event counts", () => {
  const s = shipment(ShipmentStatus.DELIVERED, { packTime: t(2), shipTime: t(3), deliverTime: t(4), carrier: "Demo Post", trackingNumber: "DEMO-2" });
  const steps = trackingSteps(order(OrderStatus.SHIPPED), s, t(0));
  assert.deepEqual(done(steps), ["CONFIRMED", "PACKED", "SHIPPED", "DELIVERED"]);
  assert.deepEqual(steps.map((x) => x.time), [t(0), t(2), t(3), t(4)]);
});

test("the parcel's carrier and tracking number appear once it ships", () => {
  assert.equal(parcelOf(order(OrderStatus.CONFIRMED), shipment(ShipmentStatus.PACKED)), null);
  assert.deepEqual(parcelOf(order(OrderStatus.SHIPPED, { carrier: "DHL", trackingNumber: "JD1" }), undefined), { carrier: "DHL", trackingNumber: "JD1" });
  assert.deepEqual(parcelOf(order(OrderStatus.CONFIRMED), shipment(ShipmentStatus.SHIPPED, { carrier: "UPS", trackingNumber: "1Z" })), { carrier: "UPS", trackingNumber: "1Z" });
});

test("only a confirmed order whose parcel has not left may be cancelled", () => {
  assert.equal(isCancellable(OrderStatus.CONFIRMED, undefined), true);
  assert.equal(isCancellable(OrderStatus.CONFIRMED, shipment(ShipmentStatus.PACKED)), true);
  assert.equal(isCancellable(OrderStatus.CONFIRMED, shipment(ShipmentStatus.SHIPPED)), false);
  assert.equal(isCancellable(OrderStatus.SHIPPED, undefined), false);
  assert.equal(isCancellable(OrderStatus.PENDING, undefined), false);
});

test("progress shows for confirmed, shipped and delivered orders; the shipment is read until delivery", () => {
  assert.deepEqual(
    [OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED].map(showsTracking),
    [false, true, true, true, false],
  );
  assert.deepEqual([OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED].map(awaitsDelivery), [true, true, false]);
});

test("a refused cancel says why, from the status the server named", () => {
  assert.equal(notCancellableText("SHIPPED"), "This order can no longer be cancelled: its parcel has already left the warehouse.");
  assert.equal(notCancellableText("ORDER_STATUS_DELIVERED"), "This order can no longer be cancelled: it has already been delivered.");
  assert.equal(notCancellableText("CONFIRMED"), notCancellableText("SHIPPED"));
});
