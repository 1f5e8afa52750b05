/**
 * Reading the read-only OData v4 services generated from contracts (OData contracts of Asset Manager and Data Lake Manager; Insights Hub IIoT for Makers §4): entity sets
 * read to the end through `@odata.nextLink`, `$metadata`, and OData errors as IronbridgeError.
 */
import { type ApiClient, invalidParameter } from './http.js';

export interface ODataQuery {
  filter?: string;
  select?: string | string[];
  orderby?: string;
  /** Stop after this many entities in total. */
  top?: number;
  /** Ask for the total count (`$count=true`); see `page()`. */
  count?: boolean;
}

export interface ODataPage<T> {
  value: T[];
  count?: number;
  nextLink?: string;
}

export class ODataClient {
  /** @param serviceRoot path or URL of an OData service root, e.g. `/api/odata/v4/mdsp_acme_plant` */
  constructor(private readonly api: ApiClient, readonly serviceRoot: string) {
    if (!serviceRoot) throw invalidParameter('serviceRoot', 'is required');
  }

  private entitySetUrl(entitySet: string, q: ODataQuery): string {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(entitySet)) throw invalidParameter('entitySet', 'must be an OData identifier');
    if (q.top !== undefined && !(Number.isInteger(q.top) && q.top >= 0)) throw invalidParameter('top', 'must be a whole number ≥ 0');
    const root = /^https?:\/\//.test(this.serviceRoot) ? this.serviceRoot : this.api.url(this.serviceRoot);
    const params = new URLSearchParams();
    if (q.filter) params.set('$filter', q.filter);
    if (q.select) params.set('$select', Array.isArray(q.select) ? q.select.join(',') : q.select);
    if (q.orderby) params.set('$orderby', q.orderby);
    if (q.top !== undefined) params.set('$top', String(q.top));
    if (q.count) params.set('$count', 'true');
    const qs = params.toString().replace(/\+/g, '%20');
    return `${root.replace(/\/+$/, '')}/${entitySet}${qs ? `?${qs}` : ''}`;
  }

  /** One page of an entity set (or the page a nextLink names). */
  async page<T>(entitySetOrNextLink: string, q: ODataQuery = {}): Promise<ODataPage<T>> {
    const url = /^https?:\/\//.test(entitySetOrNextLink) ? entitySetOrNextLink : this.entitySetUrl(entitySetOrNextLink, q);
    const body = await this.api.json<{ value?: T[]; '@odata.count'?: number; '@odata.nextLink'?: string }>('GET', url, {
      headers: { accept: 'application/json;odata.metadata=minimal' },
    });
    const next = body?.['@odata.nextLink'];
    return { value: body?.value ?? [], count: body?.['@odata.count'], nextLink: next ? new URL(next, url).toString() : undefined };
  }

  /** Every entity of the set, following `@odata.nextLink` to the end (or until `top`). */
  async *entities<T = Record<string, unknown>>(entitySet: string, q: ODataQuery = {}): AsyncGenerator<T> {
    let yielded = 0;
    let page = await this.page<T>(entitySet, q);
    for (;;) {
      for (const e of page.value) {
        if (q.top !== undefined && yielded >= q.top) return;
        yielded++;
        yield e;
      }
      if (!page.nextLink) return;
      page = await this.page<T>(page.nextLink);
    }
  }

  /** The service's CSDL `$metadata` document (XML). */
  async metadata(): Promise<string> {
    const root = /^https?:\/\//.test(this.serviceRoot) ? this.serviceRoot : this.api.url(this.serviceRoot);
    const res = await this.api.send('GET', `${root.replace(/\/+$/, '')}/$metadata`, { headers: { accept: 'application/xml' } });
    return res.text();
  }
}
