// Errors shaped like the real services' (google.rpc details), for the mock gateway.

import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb";

/** INVALID_ARGUMENT with one violation per [field path, description]. */
export function invalid(violations: [string, string][]): ConnectError {
  return new ConnectError(violations.map(([f, d]) => `${f}: ${d}`).join("; "), Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: violations.map(([field, description]) => ({ field, description })) } },
    { desc: ErrorInfoSchema, value: { reason: "INVALID_ARGUMENT", domain: "shop" } },
  ]);
}

/** An error with a google.rpc.ErrorInfo reason (and metadata). */
export function withReason(code: Code, reason: string, message: string, metadata: Record<string, string> = {}): ConnectError {
  return new ConnectError(message, code, undefined, [{ desc: ErrorInfoSchema, value: { reason, domain: "shop", metadata } }]);
}
