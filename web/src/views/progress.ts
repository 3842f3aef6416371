// The order page's delivery progress: the steps Confirmed -> Packed ->
// Shipped -> Delivered as an ordered list (the current step marked for
// screen readers), each with its time once reached, the carrier and
// tracking number once the parcel has left, and the estimate until it
// arrives.

import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { h } from "../dom";
import type { Shipment } from "../gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderStatus, type Order } from "../gen/shop/orders/v1/orders_pb";
import { formatEstimate } from "../shipping";
import { parcelOf, trackingSteps, type Step } from "../tracking";

const stepTimes = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

function stepItem(s: Step): HTMLLIElement {
  const when = s.time ? timestampDate(s.time) : null;
  return h("li", {
    class: s.done ? "done" : "",
    "data-testid": "progress-step",
    "data-step": s.key,
    "data-done": String(s.done),
    "aria-current": s.current ? "step" : null,
  },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h("span", { class: "step-label" }, s.label, h("span", { class: "visually-hidden" }, s.done ? " (done)" : " (not yet)")),
    when ? h("time", { class: "muted", datetime: when.toISOString() }, stepTimes.format(when)) : null,
  );
}

/** The step the parcel is at, for announcing a change; "" before any. */
export function currentStep(order: Order, shipment: Shipment | undefined, confirmTime: Timestamp | undefined): string {
  return trackingSteps(order, shipment, confirmTime).find((s) => s.current)?.label ?? "";
}

export function progressView(order: Order, shipment: Shipment | undefined, confirmTime: Timestamp | undefined): HTMLElement {
  const parcel = parcelOf(order, shipment);
  const estimate = order.status === OrderStatus.DELIVERED ? "" : formatEstimate(order.shipping?.earliestDeliveryTime, order.shipping?.latestDeliveryTime);
  return h("section", { class: "progress", "aria-labelledby": "progress-heading", "data-testid": "order-progress" },
    h("h2", { id: "progress-heading" }, "Delivery"),
    h("ol", { class: "steps" }, trackingSteps(order, shipment, confirmTime).map(stepItem)),
    parcel
      ? h("p", { "data-testid": "parcel" },
          "Sent with ", h("strong", { "data-testid": "parcel-carrier" }, parcel.carrier),
          ", tracking number ", h("strong", { "data-testid": "parcel-tracking" }, parcel.trackingNumber))
      : null,
    estimate ? h("p", { class: "muted", "data-testid": "delivery-estimate" }, `${estimate} (estimated when the order was placed)`) : null,
  );
}
