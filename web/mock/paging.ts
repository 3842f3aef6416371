// AIP-158 paging for the mock's admin lists: page_size 0 means 20, more than
// 100 is served as 100, negative is INVALID_ARGUMENT; the page token is
// opaque (an offset plus the filters and order it was made for, so a token
// used with other filters is INVALID_ARGUMENT naming "page_token", as the
// real services refuse it).

import { invalid } from "./errors";

export function pageOf<T>(items: T[], pageSize: number, pageToken: string, query: unknown): { items: T[]; next: string } {
  if (pageSize < 0) throw invalid([["page_size", "must not be negative"]]);
  const size = pageSize === 0 ? 20 : Math.min(pageSize, 100);
  const key = JSON.stringify(query);
  let start = 0;
  if (pageToken) {
    try {
      const t = JSON.parse(Buffer.from(pageToken, "base64url").toString("utf8")) as { o: number; k: string };
      if (!Number.isInteger(t.o) || t.o < 0 || t.k !== key) throw new Error("other query");
      start = t.o;
    } catch {
      throw invalid([["page_token", "is not a token from this list with these filters"]]);
    }
  }
  const next = start + size < items.length ? Buffer.from(JSON.stringify({ o: start + size, k: key })).toString("base64url") : "";
  return { items: items.slice(start, start + size), next };
}

/**
 * Parses an AIP-132 order_by among `fields` ("name", "name desc"); empty is
 * `fallback`. Anything else is INVALID_ARGUMENT naming "order_by".
 */
export function orderBy(raw: string, fields: string[], fallback: string): { field: string; desc: boolean } {
  const text = raw.trim() || fallback;
  const m = /^([a-z_]+)(?:\s+(asc|desc))?$/.exec(text);
  if (!m || !fields.includes(m[1])) throw invalid([["order_by", `must be one of ${fields.map((f) => `"${f}"`).join(", ")}, each optionally followed by " desc"`]]);
  return { field: m[1], desc: m[2] === "desc" };
}

/** Sorts a copy by `key` (then by id, so pages never overlap). */
export function sortBy<T extends { id: string }>(items: T[], key: (t: T) => string | bigint | number, desc: boolean): T[] {
  return [...items].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const c = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    return desc ? -c : c;
  });
}
