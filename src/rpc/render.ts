import { XMLBuilder } from 'fast-xml-parser';
import type { ApiError } from './errors.js';

export type Format = 'JSON' | 'XML';

export const JSON_TYPE = 'application/json;charset=utf-8';
/** The only XML type the SDK's V3 path parses error bodies from (protocol.md 4.2). */
export const XML_TYPE = 'text/xml;charset=utf-8';

const builder = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false, processEntities: true });

/** Characters XML 1.0 cannot carry (a request may echo them into a message); they become U+FFFD. */
/* eslint-disable no-control-regex -- these control characters are exactly what must go */
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/* eslint-enable no-control-regex */

function xmlSafe(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(NOT_XML, '\uFFFD');
  if (Array.isArray(v)) return v.map(xmlSafe);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, xmlSafe(x)]));
  return v;
}

function toXml(rootName: string, body: Record<string, unknown>): string {
  // Arrays become the element repeated once per item (decisions.md 4); numbers and booleans become text.
  return '<?xml version="1.0" encoding="UTF-8"?>' + builder.build({ [rootName]: xmlSafe(body) });
}

export interface Rendered {
  status: number;
  contentType: string;
  payload: string;
}

export function renderSuccess(
  format: Format,
  action: string,
  requestId: string,
  body: Record<string, unknown>,
): Rendered {
  const full = { RequestId: requestId, ...body };
  if (format === 'XML')
    return { status: 200, contentType: XML_TYPE, payload: toXml(`${action}Response`, full) };
  return { status: 200, contentType: JSON_TYPE, payload: JSON.stringify(full) };
}

export function renderError(format: Format, err: ApiError, requestId: string, hostId: string): Rendered {
  const body = {
    RequestId: requestId,
    HostId: hostId,
    Code: err.code,
    Message: err.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=cas&requestId=${requestId}`,
  };
  if (format === 'XML')
    return { status: err.httpStatus, contentType: XML_TYPE, payload: toXml('Error', body) };
  return { status: err.httpStatus, contentType: JSON_TYPE, payload: JSON.stringify(body) };
}
