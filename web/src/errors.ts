// Turns a failed call into what a person wants to read: a sentence, plus
// the server's field violations keyed by field path (e.g.
// "shipping_address.postal_code") so forms can show each next to its field.

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb";

export interface Problem {
  /** A sentence for people. */
  message: string;
  /** Field path -> what is wrong with it, from google.rpc.BadRequest. */
  fields: Map<string, string>;
  code: Code;
  /** The stable google.rpc.ErrorInfo reason, e.g. "OUT_OF_STOCK". */
  reason: string;
  metadata: Record<string, string>;
}

/** Messages for specific situations, chosen by the caller (e.g. the login form). */
export type Overrides = Partial<Record<Code, string>> & { reasons?: Record<string, string> };

const byReason: Record<string, string> = {
  CURRENCY_MISMATCH: "Your cart mixes currencies. Please order products priced in one currency at a time.",
  IDEMPOTENCY_KEY_REUSED:
    "This checkout was already submitted with other details. Check your orders before trying again.",
  ORDER_NOT_CANCELLABLE: "This order can no longer be cancelled.",
  ORDER_NOT_FOUND: "We could not find that order.",
  PRODUCT_NOT_FOUND: "Some products in your cart are no longer available. Please remove them and try again.",
  OUT_OF_STOCK: "Some products are out of stock.",
  TOKEN_EXPIRED: "Your session has expired. Please log in again.",
};

const byCode: Partial<Record<Code, string>> = {
  [Code.Unauthenticated]: "Your session has ended. Please log in again.",
  [Code.PermissionDenied]: "You are not allowed to do that.",
  [Code.NotFound]: "We could not find what you were looking for.",
  [Code.AlreadyExists]: "That already exists.",
  [Code.ResourceExhausted]: "Too many attempts. Please wait a moment and try again.",
  [Code.FailedPrecondition]: "That is not possible right now.",
  [Code.Aborted]: "Someone else changed this at the same time. Please reload and try again.",
  [Code.InvalidArgument]: "Please correct the highlighted fields.",
  [Code.Unavailable]: "The shop is temporarily unavailable. Please try again in a moment.",
  [Code.DeadlineExceeded]: "The shop took too long to answer. Please try again.",
  [Code.Unimplemented]: "The shop cannot handle this request right now. Please try again later.",
  [Code.Canceled]: "The request was cancelled.",
};

const fallback = "Something went wrong on our side. Please try again.";

export function describe(err: unknown, overrides: Overrides = {}): Problem {
  const e = ConnectError.from(err);
  const info = e.findDetails(ErrorInfoSchema)[0];
  const reason = info?.reason ?? "";
  const metadata = info?.metadata ?? {};
  const fields = new Map<string, string>();
  for (const bad of e.findDetails(BadRequestSchema)) {
    for (const v of bad.fieldViolations) {
      const prev = fields.get(v.field);
      fields.set(v.field, prev ? `${prev}; ${v.description}` : v.description);
    }
  }

  let message =
    overrides.reasons?.[reason] ?? overrides[e.code] ?? byReason[reason] ?? byCode[e.code] ?? fallback;

  if (e.code === Code.Unknown && e.cause instanceof TypeError) {
    // fetch() itself failed: offline, or the gateway is down.
    message = "Cannot reach the shop. Check your connection and try again.";
  }
  if (e.code === Code.ResourceExhausted) {
    const delay = e.findDetails(RetryInfoSchema)[0]?.retryDelay;
    const seconds = delay ? Math.max(1, Math.ceil(Number(delay.seconds) + delay.nanos / 1e9)) : 0;
    if (seconds) message = `Too many attempts. Please wait ${seconds} second${seconds === 1 ? "" : "s"} and try again.`;
  }
  if (e.code === Code.InvalidArgument && fields.size === 0 && e.rawMessage) {
    // No field details: the server's own sentence is the most useful thing to show.
    message = `The request was not accepted: ${e.rawMessage}`;
  }
  if ((e.code === Code.Internal || e.code === Code.Unknown) && metadata.incident) {
    message += ` (Reference: ${metadata.incident})`;
  }
  return { message, fields, code: e.code, reason, metadata };
}

/**
 * The problem as one sentence for a spot without form fields (e.g. next to a
 * cart line): the server's field violations if it gave any, else the message.
 */
export function inlineText(problem: Problem): string {
  if (problem.fields.size === 0) return problem.message;
  return [...problem.fields]
    .map(([path, description]) => (path === "quantity" ? `Quantity: ${description}` : description.charAt(0).toUpperCase() + description.slice(1)))
    .join(". ");
}

/** True for errors from leaving the page (an aborted request), which need no message. */
export function isAbort(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Canceled;
}
