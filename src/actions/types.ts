import type { Services } from '../domain/context.js';
import type { Params } from '../rpc/params.js';

export interface ActionContext {
  services: Services;
  accountUid: number;
  accessKeyId: string;
  requestId: string;
}

/** A response body without RequestId (the front end puts it first). Lists must be arrays. */
export type ResponseBody = Record<string, unknown>;

export interface Action {
  name: string;
  handle(ctx: ActionContext, params: Params): Promise<ResponseBody>;
}
