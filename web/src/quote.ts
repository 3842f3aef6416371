// The checkout's shipping quote: asks FulfilmentService.GetShippingQuote
// whenever the address or the lines change (debounced while the customer
// types), cancels a request that a newer question made stale and ignores
// late answers, so the options on screen are always those for the address
// and lines on screen.

import { fulfilment } from "./api";
import { describe, isAbort, type Problem } from "./errors";
import type { ShippingQuote } from "./gen/shop/fulfilment/v1/fulfilment_pb";
import { isQuotable, quoteKey, type QuoteAddress } from "./shipping";

export type QuoteState =
  /** Not enough address (or no lines) to ask yet. */
  | { kind: "incomplete" }
  | { kind: "loading" }
  | { kind: "ready"; quote: ShippingQuote }
  | { kind: "not-served"; countryCode: string }
  | { kind: "failed"; problem: Problem };

export interface QuoteLine {
  productId: string;
  quantity: number;
}

export interface Quoter {
  state(): QuoteState;
  /** The address or lines may have changed: quote them after a pause, unless they are what is quoted already. */
  update(address: QuoteAddress, lines: QuoteLine[]): void;
  /** A new quote for the same address and lines, at once (the last one expired or no longer matched). */
  refresh(): Promise<QuoteState>;
}

export function quoter(onChange: (state: QuoteState) => void, signal: AbortSignal, delayMs = 400): Quoter {
  let state: QuoteState = { kind: "incomplete" };
  /** The question the state answers, or is about to: "" when there is none. */
  let key = "";
  let asked: { address: QuoteAddress; lines: QuoteLine[] } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;

  const set = (next: QuoteState) => {
    state = next;
    onChange(next);
  };

  const stop = () => {
    clearTimeout(timer);
    inflight?.abort();
    inflight = null;
  };
  signal.addEventListener("abort", stop, { once: true });

  const ask = async (k: string, address: QuoteAddress, lines: QuoteLine[]): Promise<QuoteState> => {
    const call = new AbortController();
    inflight = call;
    try {
      const quote = await fulfilment.getShippingQuote(
        { address, lines: lines.map((l) => ({ productId: l.productId, quantity: BigInt(l.quantity) })) },
        { signal: call.signal },
      );
      if (k === key) set({ kind: "ready", quote });
    } catch (err) {
      if (k !== key || isAbort(err)) return state;
      const problem = describe(err);
      set(problem.reason === "DESTINATION_NOT_SERVED" ? { kind: "not-served", countryCode: address.countryCode } : { kind: "failed", problem });
    } finally {
      if (inflight === call) inflight = null;
    }
    return state;
  };

  return {
    state: () => state,
    update(address, lines) {
      const k = lines.length && isQuotable(address) ? quoteKey(address, lines) : "";
      if (k === key) return;
      stop();
      key = k;
      if (!k) {
        asked = null;
        set({ kind: "incomplete" });
        return;
      }
      asked = { address, lines };
      set({ kind: "loading" });
      timer = setTimeout(() => void ask(k, address, lines), delayMs);
    },
    refresh() {
      if (!asked || signal.aborted) return Promise.resolve(state);
      stop();
      set({ kind: "loading" });
      return ask(key, asked.address, asked.lines);
    },
  };
}
