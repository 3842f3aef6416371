// The mock gateway's saved shipping addresses, following auth.proto's
// ListAddresses, CreateAddress, UpdateAddress, DeleteAddress and
// SetDefaultAddress: per user, at most 20 (TOO_MANY_ADDRESSES), one default
// at most (the first saved becomes it), etags (ETAG_MISMATCH), and another
// user's address NOT_FOUND like an unknown one. Addresses are checked by the
// same rule as a quote's (mock/fulfilment.ts).

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { SavedAddressSchema, type AuthService, type SavedAddress } from "../src/gen/shop/auth/v1/auth_pb";
import { AddressSchema, type Address } from "../src/gen/shop/common/v1/address_pb";
import { invalid, withReason } from "./errors";
import { addressViolations } from "./fulfilment";

const MAX_ADDRESSES = 20;

export function addressesMock(userOf: (ctx: HandlerContext) => string): Partial<ServiceImpl<typeof AuthService>> {
  const books = new Map<string, SavedAddress[]>(); // by user id
  const bookOf = (ctx: HandlerContext) => {
    const user = userOf(ctx);
    if (!books.has(user)) books.set(user, []);
    return books.get(user)!;
  };
  const find = (book: SavedAddress[], id: string) => {
    const found = book.find((a) => a.id === id);
    if (!found) throw withReason(Code.NotFound, "ADDRESS_NOT_FOUND", `you have no address ${id}`, { id });
    return found;
  };
  const trimmed = (a: Address | undefined) =>
    create(AddressSchema, {
      recipient: a?.recipient.trim(),
      line1: a?.line1.trim(),
      line2: a?.line2.trim(),
      city: a?.city.trim(),
      region: a?.region.trim(),
      postalCode: a?.postalCode.trim(),
      countryCode: a?.countryCode,
    });
  const check = (label: string, address: Address | undefined) => {
    const v: [string, string][] = label.trim().length > 50 ? [["saved_address.label", "must be at most 50 characters"]] : [];
    v.push(...(address ? addressViolations(address, "saved_address.address") : [["saved_address.address", "is required"] as [string, string]]));
    if (v.length) throw invalid(v);
  };
  const touch = (a: SavedAddress) => {
    a.etag = `v${Number(a.etag.slice(1)) + 1}`;
    a.updateTime = timestampNow();
  };
  const makeDefault = (book: SavedAddress[], chosen: SavedAddress) => {
    for (const a of book) {
      if (a.default && a !== chosen) {
        a.default = false;
        touch(a);
      }
    }
    if (!chosen.default) {
      chosen.default = true;
      touch(chosen);
    }
  };
  const listed = (book: SavedAddress[]) => [...book.filter((a) => a.default), ...book.filter((a) => !a.default)];

  return {
    listAddresses(_req, ctx) {
      return { addresses: listed(bookOf(ctx)) };
    },
    createAddress(req, ctx) {
      const book = bookOf(ctx);
      const s = req.savedAddress;
      if (!s) throw invalid([["saved_address", "is required"]]);
      check(s.label, s.address);
      if (book.length >= MAX_ADDRESSES) {
        throw withReason(Code.FailedPrecondition, "TOO_MANY_ADDRESSES", `an account keeps at most ${MAX_ADDRESSES} addresses; delete one first`, { max_addresses: String(MAX_ADDRESSES) });
      }
      const saved = create(SavedAddressSchema, {
        id: crypto.randomUUID(),
        label: s.label.trim(),
        address: trimmed(s.address),
        etag: "v1",
        createTime: timestampNow(),
        updateTime: timestampNow(),
      });
      const first = book.length === 0;
      book.push(saved);
      if (s.default || first) makeDefault(book, saved);
      return saved;
    },
    updateAddress(req, ctx) {
      const book = bookOf(ctx);
      const s = req.savedAddress;
      if (!s) throw invalid([["saved_address", "is required"]]);
      const paths = req.updateMask?.paths ?? [];
      if (!paths.length) throw invalid([["update_mask", "must name the fields to change: label or address"]]);
      const all = paths.length === 1 && paths[0] === "*";
      const bad = paths.findIndex((p) => !all && p !== "label" && p !== "address");
      if (bad >= 0) throw invalid([[`update_mask.paths[${bad}]`, "is not an updatable field (label, address)"]]);
      const named = (p: string) => all || paths.includes(p);
      check(named("label") ? s.label : "", named("address") ? s.address : create(AddressSchema, { recipient: "x", line1: "x", city: "x", postalCode: "x", countryCode: "US" }));
      const found = find(book, s.id);
      if (s.etag && s.etag !== found.etag) throw withReason(Code.Aborted, "ETAG_MISMATCH", "the address changed since it was read; read it again and retry", { id: s.id });
      if (named("label")) found.label = s.label.trim();
      if (named("address")) found.address = trimmed(s.address);
      touch(found);
      return found;
    },
    deleteAddress(req, ctx) {
      const book = bookOf(ctx);
      const found = find(book, req.id);
      book.splice(book.indexOf(found), 1);
      return {};
    },
    setDefaultAddress(req, ctx) {
      const book = bookOf(ctx);
      const found = find(book, req.id);
      makeDefault(book, found);
      return found;
    },
  };
}
