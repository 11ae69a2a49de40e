/**
 * The OpenTelemetry API objects and semantic-convention names the per-request path uses, bound
 * once at load.
 *
 * Why: the CommonJS builds of `@opentelemetry/api` and `@opentelemetry/semantic-conventions`
 * re-export every name through a getter (TypeScript's `__exportStar` helper), and compiled code
 * reads an imported name from the module object at each use (`api_1.context.with(...)`), so
 * every use is a getter call, visible in a CPU profile of the request path (bench/hot-path.md).
 * Names read from this module are plain data properties.
 */
import * as api from '@opentelemetry/api';
import * as semconv from '@opentelemetry/semantic-conventions';

export const context = api.context;
export const propagation = api.propagation;
export const trace = api.trace;
export const ROOT_CONTEXT = api.ROOT_CONTEXT;

export const ATTR_CLIENT_ADDRESS = semconv.ATTR_CLIENT_ADDRESS;
export const ATTR_ERROR_TYPE = semconv.ATTR_ERROR_TYPE;
export const ATTR_HTTP_REQUEST_METHOD = semconv.ATTR_HTTP_REQUEST_METHOD;
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = semconv.ATTR_HTTP_REQUEST_METHOD_ORIGINAL;
export const ATTR_HTTP_RESPONSE_STATUS_CODE = semconv.ATTR_HTTP_RESPONSE_STATUS_CODE;
export const ATTR_HTTP_ROUTE = semconv.ATTR_HTTP_ROUTE;
export const ATTR_SERVER_ADDRESS = semconv.ATTR_SERVER_ADDRESS;
export const ATTR_SERVER_PORT = semconv.ATTR_SERVER_PORT;
export const ATTR_URL_FULL = semconv.ATTR_URL_FULL;
export const ATTR_URL_PATH = semconv.ATTR_URL_PATH;
export const ATTR_URL_SCHEME = semconv.ATTR_URL_SCHEME;
export const ATTR_USER_AGENT_ORIGINAL = semconv.ATTR_USER_AGENT_ORIGINAL;
