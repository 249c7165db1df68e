// The shape of a served Kafka API: its advertised version range beside its codecs and handler,
// so an ApiVersions table is read off the code that serves it. The broker's APIs
// (server/apis/) and the controller's (replication/ControllerApis.ts) are both defined with
// `defineApi`, each over its own handler context.
import { ErrorCode, errorName } from '../protocol/errors.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import type { Connection } from './Connection.js';

/** What every handler knows about its request. */
export interface BaseContext {
  conn: Connection;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The request's size in bytes, header included (Kafka's request.sizeInBytes: what produce quotas count). */
  requestSize: number;
}

/** A handler's answer: the response body, or NO_RESPONSE (acks=0 produce). */
export const NO_RESPONSE = Symbol('no response');

export interface Api<Req = any, Res = any, Ctx extends BaseContext = any> {
  key: number;
  name: string;
  /** Advertised range: every version in it is decoded, handled and tested. */
  minVersion: number;
  maxVersion: number;
  /** First flexible version of the API (request header v2 / response header v1), -1 if none. */
  flexibleFrom: number;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, version: number, res: Res): void;
  handle(ctx: Ctx, req: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
  /**
   * The response that answers `req` with one error code everywhere Kafka's
   * `AbstractRequest.getErrorResponse` puts it (a failed handler, an injected `error` fault);
   * `message` goes where the version has an error message field and Kafka fills it.
   */
  errorResponse?(req: Req, code: number, version: number, message?: string | null): Res;
}

export interface GeneratedApi {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleFrom: number;
}

/** Tie a generated API's codecs to a handler over the versions we serve. */
export function defineApi<Req, Res, Ctx extends BaseContext = BaseContext>(
  schema: GeneratedApi,
  versions: [min: number, max: number],
  codecs: { decodeRequest: (r: Reader, v: number) => Req; encodeResponse: (w: Writer, v: number, res: Res) => void },
  handle: Api<Req, Res, Ctx>['handle'],
  errorResponse?: Api<Req, Res, Ctx>['errorResponse'],
): Api<Req, Res, Ctx> {
  const [minVersion, maxVersion] = versions;
  if (minVersion < schema.minVersion || maxVersion > schema.maxVersion) {
    throw new Error(`${schema.name}: versions ${minVersion}-${maxVersion} outside the schema's ${schema.minVersion}-${schema.maxVersion}`);
  }
  return { key: schema.key, name: schema.name, minVersion, maxVersion, flexibleFrom: schema.flexibleFrom, ...codecs, handle, errorResponse };
}

/**
 * The message Kafka's ApiError.fromThrowable sends with a failure: the exception's own, except
 * for UNKNOWN_SERVER_ERROR (never leak internals) and when it is only the code's default text.
 */
export function apiErrorMessage(code: number, message: string | null | undefined): string | null {
  if (code === ErrorCode.UNKNOWN_SERVER_ERROR || !message || message === errorName(code)) return null;
  return message;
}
