/**
 * Catalog ("Insights Hub IIoT for Makers" §2.3.3, §2.4.3): search the published OData contracts visible to the
 * user's company (the registry's `/catalog`), each with its service URL on the gateway host and a copy button,
 * its `$metadata` link and its entity sets; a degraded contract shows its problems.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { get } from './api';
import { CopyField } from './copy';
import { ErrorLine, Shell } from './shell';

interface Contract {
  id: string; name: string; version: string; description: string; tenant: string; environmentName: string; environmentType: string;
  applicationName: string; publishedAt: string | null; publishedBy: string | null; serviceRoot: string; metadataUrl: string;
  entitySets: string[]; state: 'valid' | 'degraded'; problems: { item: string; rule: string }[];
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The service root as clients with a binding key call it: on the gateway host `gateway.{region}.{domain}` (the
 * registry answers with this app's host, where only signed-in browsers get in).
 */
function onGateway(serviceRoot: string): string {
  const url = new URL(serviceRoot);
  const [first = '', ...rest] = url.hostname.split('.');
  if (first.includes('-') && rest.length > 0) url.hostname = ['gateway', ...rest].join('.');
  return url.toString();
}

function Card(props: { c: Contract }) {
  const c = props.c;
  const id = `contract-${c.id}`;
  return (
    <li aria-labelledby={id}>
      <h2 id={id}>{c.name} <span className="muted">{c.version}</span></h2>
      {c.description && <p>{c.description}</p>}
      <dl className="props">
        <dt>Tenant</dt><dd>{c.tenant}</dd>
        <dt>Application</dt><dd>{c.applicationName}</dd>
        <dt>Environment</dt><dd>{c.environmentName} ({c.environmentType})</dd>
        {c.publishedAt && <><dt>Published</dt><dd>{new Date(c.publishedAt).toLocaleString()}{c.publishedBy ? ` by ${c.publishedBy}` : ''}</dd></>}
      </dl>
      <CopyField label="Service URL" value={onGateway(c.serviceRoot)} />
      <p className="muted">For OData clients with a binding key's token (Service Management).</p>
      <p><a href={c.metadataUrl} target="_blank" rel="noopener">$metadata</a> (the service's CSDL, in this browser session)</p>
      <h3>Entity sets</h3>
      {c.entitySets.length === 0 ? <p className="muted">No entity sets.</p> : (
        <ul className="chips" aria-label={`Entity sets of ${c.name}`}>{c.entitySets.map((s) => <li key={s}>{s}</li>)}</ul>
      )}
      {c.state === 'degraded' && (
        <div role="note" className="error">
          <strong>Degraded:</strong> parts are left out of the service.
          <ul>{c.problems.map((p, i) => <li key={i}>{p.item} {p.rule}</li>)}</ul>
        </div>
      )}
    </li>
  );
}

function Catalog() {
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [contracts, setContracts] = useState<Contract[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const search = async (q: string) => {
    setContracts(undefined);
    setError(undefined);
    setSearched(q);
    try {
      const b = await get<{ contracts: Contract[] }>(`/api/odatacontracts/v1/catalog${q ? `?${new URLSearchParams({ search: q })}` : ''}`);
      setContracts(b.contracts);
    } catch (e) {
      setContracts([]);
      setError(msg(e));
    }
  };
  useEffect(() => { void search(''); }, []);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void search(query.trim());
  };
  return (
    <>
      <form className="inline" role="search" onSubmit={submit}>
        <label>Search contracts<input name="search" value={query} onChange={(e) => setQuery(e.target.value)}
          placeholder="name, version, description or entity set" /></label>
        <button type="submit" className="primary">Search</button>
      </form>
      {contracts === undefined ? <p className="muted">Loading…</p>
        : contracts.length === 0 ? (!error && (
          <p className="muted" data-testid="empty">
            {searched ? `No published contract matches "${searched}".` : 'No published contracts are visible to your company yet.'}
          </p>
        )) : (
          <>
            <p className="muted" data-testid="count">{contracts.length === 1 ? '1 contract' : `${contracts.length} contracts`}</p>
            <ul className="cards" aria-label="Published contracts">{contracts.map((c) => <Card key={c.id} c={c} />)}</ul>
          </>
        )}
      <ErrorLine error={error} />
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Catalog">{() => <Catalog />}</Shell>);
