import type { Action, ResponseBody } from '../actions/types.js';
import type { Services } from '../domain/context.js';
import { authenticate, type RawRequest } from './auth.js';
import { DecodeError } from './encoding.js';
import { ApiError, Errors } from './errors.js';
import { decodeRequest } from './params.js';
import { renderError, renderSuccess, type Format, type Rendered } from './render.js';
import type { Throttle } from './throttle.js';

export const API_VERSION = '2020-04-07';

export interface RpcInput {
  requestId: string;
  method: string;
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** What the front end learned about a request, for the access log. */
export interface RpcOutcome {
  rendered: Rendered;
  action?: string;
  accountUid?: number;
  code?: string;
  /** Set for failures that are not ApiErrors: logged with the RequestId, never shown to the client. */
  internalError?: unknown;
}

function pickFormat(value: string | undefined): Format {
  if (value === undefined || value === '') return 'JSON';
  const v = value.toUpperCase();
  if (v === 'JSON' || v === 'XML') return v;
  throw Errors.invalidParameter('Format', 'it must be JSON or XML');
}

/** Guess the format from the raw query when the request cannot be decoded, so errors still honour it. */
function sniffFormat(rawUrl: string): Format {
  return /[?&]Format=xml(&|$)/i.test(rawUrl) ? 'XML' : 'JSON';
}

export class RpcFrontEnd {
  constructor(
    private readonly services: Services,
    private readonly actions: ReadonlyMap<string, Action>,
    private readonly throttle: Throttle,
  ) {}

  async handle(input: RpcInput): Promise<RpcOutcome> {
    const outcome: Omit<RpcOutcome, 'rendered'> = {};
    let format: Format = sniffFormat(input.rawUrl);
    try {
      const q = input.rawUrl.indexOf('?');
      const path = q === -1 ? input.rawUrl : input.rawUrl.slice(0, q);
      if (path !== '/') throw Errors.pathNotFound();
      const contentType = headerOf(input.headers, 'content-type');
      let decoded;
      try {
        decoded = decodeRequest(input.rawUrl, contentType, input.body);
      } catch (err) {
        if (err instanceof DecodeError) throw Errors.invalidParameter(err.parameter, err.message);
        throw err;
      }
      format = pickFormat(decoded.params.get('Format'));
      const req: RawRequest = {
        method: input.method,
        path,
        headers: input.headers,
        body: input.body,
        decoded,
      };
      const auth = await authenticate(this.services, req);
      outcome.accountUid = auth.accountUid;
      outcome.action = auth.action;
      if (auth.version !== API_VERSION) throw Errors.invalidVersion(auth.version);
      const action = this.actions.get(auth.action);
      if (!action) throw Errors.actionNotFound(auth.action);
      await this.throttle.take(action.name, auth.accountUid);
      const body: ResponseBody = await action.handle(
        {
          services: this.services,
          accountUid: auth.accountUid,
          accessKeyId: auth.accessKeyId,
          requestId: input.requestId,
        },
        decoded.params,
      );
      return { ...outcome, rendered: renderSuccess(format, action.name, input.requestId, body) };
    } catch (err) {
      const apiError = err instanceof ApiError ? err : Errors.internal();
      return {
        ...outcome,
        code: apiError.code,
        internalError: err instanceof ApiError ? undefined : err,
        rendered: renderError(format, apiError, input.requestId, this.services.config.hostId),
      };
    }
  }
}

function headerOf(headers: RpcInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
