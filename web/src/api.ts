// The gRPC-web clients. The gateway serves this page and the API on the same
// origin, so the transport's base URL is simply the page's origin.

import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/shop/auth/v1/auth_pb";
import { CartService } from "./gen/shop/cart/v1/cart_pb";
import { CatalogService } from "./gen/shop/catalog/v1/catalog_pb";
import { FulfilmentService } from "./gen/shop/fulfilment/v1/fulfilment_pb";
import { OrderService } from "./gen/shop/orders/v1/orders_pb";
import { PaymentService } from "./gen/shop/payments/v1/payments_pb";
import { freshSession, renew } from "./refresh";
import { expire } from "./session";

/** The catalog's reads, which never send a token (its writes are for admins; gateway/src/routes.rs). */
const catalogReads = new Set(["ListProducts", "GetProduct", "BatchGetProducts", "ListCategories", "GetImageContent"]);

/**
 * AuthService calls that need no access token (the auth.proto header); the
 * rest, e.g. WhoAmI or the admins' ListUsers, need it.
 */
const authPublic = new Set(["Register", "Login", "RefreshSession", "Logout", "RequestPasswordReset", "ResetPassword", "VerifyEmail"]);

/**
 * Calls that never send a token: the catalog's reads, and signing up, in or
 * out and recovering an account. (The cart sends one when there is one: a
 * customer's token selects their cart, and an anonymous shopper's cart works without.)
 */
function isPublic(service: string, method: string): boolean {
  return (service === CatalogService.typeName && catalogReads.has(method)) || (service === AuthService.typeName && authPublic.has(method));
}

const isUnauthenticated = (err: unknown) => ConnectError.from(err).code === Code.Unauthenticated;

/** The session renewed after `sent` was refused, or null (ended, or the shop unreachable). */
const renewedAfter = (sent: string) => renew(sent).catch(() => null);

/**
 * A stream refused after the tokens were renewed: UNAVAILABLE, which the
 * stream's reader treats as a dropped connection and reconnects (with the new token).
 */
const reconnect = (err: unknown) => new ConnectError("session renewed, reconnect", Code.Unavailable, undefined, undefined, err);

/**
 * Adds `authorization: Bearer <token>` to calls that need it, renewing the
 * token first when it is about to expire (src/refresh.ts). When the server
 * answers UNAUTHENTICATED anyway, renews once and sends a unary call again
 * (once); a stream, refused at its start or later, is ended as UNAVAILABLE
 * so its reader reconnects. When renewing fails the session has ended
 * (with a message) and the refusal goes to the caller.
 */
const auth: Interceptor = (next) => async (req) => {
  const sent = isPublic(req.service.typeName, req.method.name) ? undefined : (await freshSession())?.accessToken;
  if (sent) req.header.set("authorization", `Bearer ${sent}`);
  let res;
  try {
    res = await next(req);
  } catch (err) {
    if (!sent || !isUnauthenticated(err)) throw err;
    const renewed = await renewedAfter(sent);
    if (!renewed) throw err;
    if (req.stream) throw reconnect(err);
    req.header.set("authorization", `Bearer ${renewed.accessToken}`);
    try {
      return await next(req);
    } catch (again) {
      // A token fresh from RefreshSession refused: nothing more to try here.
      if (isUnauthenticated(again)) expire();
      throw again;
    }
  }
  if (!res.stream) return res;
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      try {
        yield* messages;
      } catch (err) {
        if (sent && isUnauthenticated(err) && (await renewedAfter(sent))) throw reconnect(err);
        throw err;
      }
    })(),
  };
};

export const transport = createGrpcWebTransport({
  baseUrl: window.location.origin,
  interceptors: [auth],
});

export const authClient = createClient(AuthService, transport);
export const carts = createClient(CartService, transport);
export const catalog = createClient(CatalogService, transport);
export const fulfilment = createClient(FulfilmentService, transport);
export const orders = createClient(OrderService, transport);
export const payments = createClient(PaymentService, transport);
