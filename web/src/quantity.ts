// Pure: what the storefront says when a quantity the customer typed is not
// what the cart ends up holding. The cart service refuses a quantity outside
// its limits (it never clamps), and the refusal names the limit; these
// sentences add what was typed and what the line still holds, and say so
// plainly if a server ever did change the number instead of refusing it.

/** After a refusal: the server's words, what was typed, and that the line is unchanged. */
export function refusedQuantityText(serverText: string, typed: string, holds: number): string {
  const entered = typed.trim();
  if (!entered) return serverText;
  const sentence = /[.!?]$/.test(serverText) ? serverText : `${serverText}.`;
  return `${sentence} You entered ${entered}; ${holds > 0 ? `the cart still holds ${holds}` : "nothing was added"}.`;
}

/**
 * After a write that was accepted: "" when the line holds what was asked,
 * else a sentence saying the shop set another number (a clamp must never be silent).
 */
export function changedQuantityText(productName: string, asked: number, holds: number): string {
  return asked === holds ? "" : `You asked for ${asked} × ${productName}, but your cart now holds ${holds}.`;
}
