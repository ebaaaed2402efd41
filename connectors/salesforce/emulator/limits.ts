// The org's API allowance and call accounting: DailyApiRequests (the limits resource and the Sforce-Limit-Info
// header on every REST answer), REQUEST_LIMIT_EXCEEDED once it is used up, per-endpoint call counts, and the
// fault switch that makes the next REST requests fail with a 5xx or a dropped connection.
import type { Answer } from './http.js';

export interface CallCounts {
  /** Every request to the REST API (/services/data), whatever its answer. */
  api: number;
  /** Token requests (/services/oauth2/token). Salesforce does not count these against the API allowance. */
  token: number;
  /** Per endpoint, e.g. "GET query", "GET queryMore", "PATCH composite/sobjects". */
  byEndpoint: Record<string, number>;
}

export interface FaultSpec {
  /** How many of the next REST requests fail. */
  count: number;
  /** An HTTP status, or 'reset' to drop the connection without an answer. */
  status: 500 | 502 | 503 | 'reset';
  /** Only requests whose endpoint key (see CallCounts.byEndpoint) is listed; all when absent. */
  endpoints?: string[];
}

export interface Limits {
  /** Sforce-Limit-Info, sent with every REST answer. */
  header(): Record<string, string>;
  countToken(): void;
  countRest(endpoint: string): void;
  /** The fault this request gets, if the fault switch covers it: 'reset' or an error answer. */
  takeFault(endpoint: string): 'reset' | Answer | null;
  /** Spends one call of the allowance, or answers REQUEST_LIMIT_EXCEEDED when none is left. */
  spend(): Answer | null;
  /** The limits resource. */
  resource(): Answer;
  callCounts(): CallCounts;
  resetCallCounts(): void;
  setApiUsage(used: number, limit?: number): void;
  apiUsage(): { used: number; limit: number };
  setFault(fault: FaultSpec | null): void;
}

/** The endpoint key a REST request is counted under (and a fault may be aimed at). */
export function endpointKey(method: string, rest: string): string {
  if (rest.startsWith('query/')) return 'GET queryMore';
  if (rest.startsWith('queryAll/')) return 'GET queryMore';
  if (rest === 'query' || rest === 'queryAll') return `GET ${rest}`;
  const describeMatch = /^sobjects\/([^/]+)\/describe$/.exec(rest);
  if (describeMatch) return `GET sobjects/${describeMatch[1]}/describe`;
  const sobjectMatch = /^sobjects\/([^/]+)(\/[^/]+)?$/.exec(rest);
  if (sobjectMatch) return `${method} sobjects/${sobjectMatch[1]}${sobjectMatch[2] ? '/{id}' : ''}`;
  return `${method} ${rest}`;
}

export function createLimits(dailyLimitAtStart: number): Limits {
  let dailyLimit = dailyLimitAtStart;
  let apiUsed = 0;
  let fault: FaultSpec | null = null;
  let counts: CallCounts = { api: 0, token: 0, byEndpoint: {} };
  const bump = (key: string): void => {
    counts.byEndpoint[key] = (counts.byEndpoint[key] ?? 0) + 1;
  };

  return {
    header: () => ({ 'Sforce-Limit-Info': `api-usage=${apiUsed}/${dailyLimit}` }),
    countToken() {
      counts.token += 1;
      bump('POST oauth2/token');
    },
    countRest(endpoint) {
      counts.api += 1;
      bump(endpoint);
    },
    takeFault(endpoint) {
      if (!fault || fault.count <= 0 || (fault.endpoints !== undefined && !fault.endpoints.includes(endpoint)))
        return null;
      fault.count -= 1;
      const status = fault.status;
      if (fault.count <= 0) fault = null;
      if (status === 'reset') return 'reset';
      const code = status === 503 ? 'SERVER_UNAVAILABLE' : 'UNKNOWN_EXCEPTION';
      return { status, body: [{ errorCode: code, message: `emulated fault (${status})` }] };
    },
    spend() {
      if (apiUsed >= dailyLimit) {
        return {
          status: 403,
          body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        };
      }
      apiUsed += 1;
      return null;
    },
    resource: () => ({
      status: 200,
      body: { DailyApiRequests: { Max: dailyLimit, Remaining: Math.max(0, dailyLimit - apiUsed) } },
    }),
    callCounts: () => ({ api: counts.api, token: counts.token, byEndpoint: { ...counts.byEndpoint } }),
    resetCallCounts: () => {
      counts = { api: 0, token: 0, byEndpoint: {} };
    },
    setApiUsage(used, limit) {
      apiUsed = used;
      if (limit !== undefined) dailyLimit = limit;
    },
    apiUsage: () => ({ used: apiUsed, limit: dailyLimit }),
    setFault(f) {
      fault = f && f.count > 0 ? { ...f } : null;
    },
  };
}
