/**
 * Errors every AWS JSON and Query service may answer, which the service models do not list (AWS's
 * "Common Errors" of the SageMaker API Reference, and the framework's own for a request it cannot
 * read): their HTTP status and whose fault they are.
 */
import type { ErrorTraits } from "./model.js";

export const COMMON_ERRORS: Readonly<Record<string, ErrorTraits>> = {
  AccessDeniedException: { status: 400, fault: "client" },
  IncompleteSignature: { status: 400, fault: "client" },
  InternalFailure: { status: 500, fault: "server" },
  InvalidAction: { status: 400, fault: "client" },
  InvalidClientTokenId: { status: 403, fault: "client" },
  NotAuthorized: { status: 400, fault: "client" },
  OptInRequired: { status: 403, fault: "client" },
  RequestExpired: { status: 400, fault: "client" },
  SerializationException: { status: 400, fault: "client" },
  ServiceUnavailable: { status: 503, fault: "server" },
  ThrottlingException: { status: 400, fault: "client" },
  UnknownOperationException: { status: 400, fault: "client" },
  ValidationError: { status: 400, fault: "client" },
  ValidationException: { status: 400, fault: "client" },
};
