/**
 * One entry point for app code: `new IronbridgeClient({ baseUrl, auth })` with a typed client per API. Works against
 * Ironbridge and against Insights Hub itself (same paths, Insights Hub API conventions).
 */
import { AssetManagementClient } from './assets.js';
import { Authenticator, type AuthenticatorOptions } from './auth.js';
import { ApiClient, type ClientOptions } from './http.js';
import { ODataClient } from './odata.js';
import { AggregatesClient, TimeSeriesClient } from './timeseries.js';

export interface TenantInfo {
  name: string;
  prefix: string;
  displayName: string;
  type: string;
  companyName: string;
  allowedToCreateSubtenant: boolean;
  ETag: number;
}

export class TenantManagementClient {
  constructor(private readonly api: ApiClient) {}
  /** The caller's tenant (`GET /api/tenantmanagement/v4/tenantInfo`). */
  tenantInfo(): Promise<TenantInfo> {
    return this.api.json('GET', '/api/tenantmanagement/v4/tenantInfo');
  }
}

export class IronbridgeClient {
  readonly api: ApiClient;
  readonly assets: AssetManagementClient;
  readonly timeSeries: TimeSeriesClient;
  readonly aggregates: AggregatesClient;
  readonly tenants: TenantManagementClient;

  constructor(options: ClientOptions) {
    this.api = new ApiClient(options);
    this.assets = new AssetManagementClient(this.api);
    this.timeSeries = new TimeSeriesClient(this.api);
    this.aggregates = new AggregatesClient(this.api);
    this.tenants = new TenantManagementClient(this.api);
  }

  /** A client of the OData service at `serviceRoot` (path or URL). */
  odata(serviceRoot: string): ODataClient {
    return new ODataClient(this.api, serviceRoot);
  }

  /**
   * A client from IRONBRIDGE_TOKEN_URL / _CLIENT_ID / _CLIENT_SECRET and IRONBRIDGE_API_URL; without
   * IRONBRIDGE_API_URL the API base is the origin of the token URL (an Ironbridge server serves both).
   */
  static fromEnv(overrides: Partial<AuthenticatorOptions> & { baseUrl?: string } = {}, env: NodeJS.ProcessEnv = process.env): IronbridgeClient {
    const auth = Authenticator.fromEnv(overrides, env);
    const baseUrl = overrides.baseUrl ?? env['IRONBRIDGE_API_URL'] ?? new URL(auth.tokenUrl).origin;
    return new IronbridgeClient({ baseUrl, auth });
  }
}
