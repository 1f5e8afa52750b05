/** @ironbridge/sdk: the public surface. Nothing here imports server code; the package is publishable alone. */
export { errorFromString, errorFromResponse, IronbridgeError, type ParsedError, type MessageParameter } from './errors.js';
export { Authenticator, StaticToken, ConfigurationError, ENV, type AuthenticatorOptions, type AppCredentials,
  type TokenSource } from './auth.js';
export { authFetch, authInterceptor, authDispatcher, joinUrl, type AuthFetchOptions } from './fetch.js';
