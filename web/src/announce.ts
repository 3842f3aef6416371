// One polite live region for short confirmations ("Added to cart").

let region: HTMLElement | null = null;

export function announce(message: string): void {
  region ??= document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A new text node after clearing makes screen readers repeat equal messages.
  setTimeout(() => region && (region.textContent = message), 50);
}
