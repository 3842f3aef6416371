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
import { expire, session } from "./session";

/** The catalog's reads, which never send a token (its writes are for admins). */
const catalogReads = new Set(["ListProducts", "GetProduct", "BatchGetProducts", "ListCategories", "GetImageContent"]);

/** The accounts' calls made without being logged in (the rest, e.g. the admins' ListUsers, need the token). */
const authPublic = new Set(["Register", "Login", "RefreshSession", "RequestPasswordReset", "ResetPassword", "VerifyEmail"]);

/**
 * Calls that never send a token: the catalog's reads, and signing up or in. (The
 * cart sends one when there is one: a customer's token selects their cart,
 * and an anonymous shopper's cart works without.)
 */
function isPublic(service: string, method: string): boolean {
  return (service === CatalogService.typeName && catalogReads.has(method)) || (service === AuthService.typeName && authPublic.has(method));
}

/**
 * Adds `authorization: Bearer <token>` to calls that need it, and ends the
 * session when the server answers UNAUTHENTICATED (expired or revoked token),
 * for unary calls and for errors that arrive later in a stream.
 */
const auth: Interceptor = (next) => async (req) => {
  const needsToken = !isPublic(req.service.typeName, req.method.name);
  const token = session()?.accessToken;
  if (needsToken && token) req.header.set("authorization", `Bearer ${token}`);
  const noteUnauthenticated = (err: unknown) => {
    if (needsToken && ConnectError.from(err).code === Code.Unauthenticated) expire();
    return err;
  };
  try {
    const res = await next(req);
    if (!res.stream) return res;
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          throw noteUnauthenticated(err);
        }
      })(),
    };
  } catch (err) {
    throw noteUnauthenticated(err);
  }
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
