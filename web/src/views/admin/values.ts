// The back office's checks made before calling a service, kept free of the
// DOM and the API so they can be unit-tested: only what is surely wrong (an
// amount that is not one, a zero delta, a missing reason); the services'
// own limits are the reference and nothing here is stricter.

import { availabilityText as shoppersText } from "../../availability";
import type { Availability } from "../../gen/shop/catalog/v1/catalog_pb";

/** "12.50" (or "12,5", "12") -> 1250n minor units; null if not an amount of dollars and cents. */
export function parseMinor(raw: string): bigint | null {
  const m = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(raw.trim());
  if (!m) return null;
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0"));
}

/** 1250n -> "12.50", for an input's value. */
export function majorText(minor: bigint | undefined): string {
  if (minor === undefined) return "";
  return `${minor / 100n}.${String(minor % 100n).padStart(2, "0")}`;
}

/** What shoppers are told about a product's availability (the shop's badge), or "Unknown". */
export function availabilityText(a: Availability | undefined): string {
  return shoppersText(a) || "Unknown";
}

/** A reason for the audit log: 1 to 200 characters. */
function reasonProblem(reason: string, example: string): string {
  if (!reason.trim()) return `say why, e.g. ${example}`;
  return reason.trim().length > 200 ? "use at most 200 characters" : "";
}

/** What is wrong with a stock adjustment (AdjustStock's delta and reason), by request field path. */
export function adjustmentProblems(delta: string, reason: string): Map<string, string> {
  const bad = new Map<string, string>();
  const n = Number(delta.trim());
  if (!/^[+-]?\d{1,7}$/.test(delta.trim()) || n === 0 || Math.abs(n) > 1_000_000) {
    bad.set("delta", "enter a whole number of units to add (e.g. 10) or remove (e.g. -3), not 0, at most 1000000");
  }
  const why = reasonProblem(reason, "delivery from the roaster");
  if (why) bad.set("reason", why);
  return bad;
}

/** What is wrong with a wallet top-up (TopUpWallet's amount and reason), by request field path. */
export function topUpProblems(amount: string, reason: string): Map<string, string> {
  const bad = new Map<string, string>();
  const minor = parseMinor(amount);
  if (minor === null || minor <= 0n || minor > 100_000_000n) bad.set("amount.amount_minor", "enter an amount such as 25.00, more than 0 and at most 1000000");
  const why = reasonProblem(reason, "goodwill credit");
  if (why) bad.set("reason", why);
  return bad;
}
