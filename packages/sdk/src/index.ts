/** @ironbridge/sdk: the public surface. Nothing here imports server code; the package is publishable alone. */
export { errorFromString, errorFromResponse, IronbridgeError, type ParsedError, type MessageParameter } from './errors.js';
export { Authenticator, StaticToken, ConfigurationError, ENV, type AuthenticatorOptions, type AppCredentials,
  type TokenSource } from './auth.js';
export { authFetch, authInterceptor, authDispatcher, joinUrl, type AuthFetchOptions } from './fetch.js';
export { ApiClient, nextLink, queryString, type ClientOptions, type RequestOptions, type Query } from './http.js';
export * from './assets.js';
export * from './timeseries.js';
export * from './odata.js';
export * from './client.js';
export { createApiProxy, type ApiProxyOptions, type Middleware } from './proxy.js';
