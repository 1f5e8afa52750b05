/** Launchpad: the tenant's apps as tiles (the standard apps, and the web apps registered in the Gateway Registry). */
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { appHost, get, type Me } from './api';
import { ErrorLine, Shell } from './shell';

const STANDARD = [
  { name: 'assetmanager', title: 'Asset Manager', text: 'Asset types, aspects and the asset tree.' },
  { name: 'explorer', title: 'Explorer', text: "Plot an asset's time series over a range." },
  { name: 'datalake', title: 'Data Lake Manager', text: 'Folders and files of the data lake: upload, download, tags.' },
  { name: 'catalog', title: 'Catalog', text: 'Published OData contracts and their service URLs.' },
  { name: 'servicemanagement', title: 'Service Management', text: 'Binding keys for app connections.' },
  { name: 'agents', title: 'Agents', text: 'MindConnect agents, their boarding and data point mappings.' },
];

interface Registered { name: string; provider?: string | null; type?: string }

function Tiles(props: { user: Me }) {
  const [registered, setRegistered] = useState<Registered[]>([]);
  const [error, setError] = useState<string | undefined>();
  // Only administrators may read the Gateway Registry; for others the standard apps are the tiles.
  const admin = props.user.roles.some((r) => r.value === 'gw.registry.w');
  useEffect(() => {
    if (!admin) return;
    get<{ apps?: Registered[] }>('/api/gatewayregistry/v1/apps')
      .then((b) => setRegistered((b.apps ?? []).filter((a) => (a.type ?? 'webapp') === 'webapp')), (e: Error) => setError(e.message));
  }, [admin]);
  return (
    <>
      <p>Signed in as <strong>{props.user.userName}</strong> in tenant <strong>{props.user.tenant}</strong>.</p>
      <ul className="tiles" aria-label="Applications">
        {STANDARD.map((a) => (
          <li key={a.name}><a href={appHost(a.name)}><strong>{a.title}</strong>{a.text}</a></li>
        ))}
        {registered.map((a) => {
          const name = a.provider ? `${a.name}-${a.provider}` : a.name;
          return <li key={name}><a href={appHost(name)}><strong>{name}</strong>Registered web application</a></li>;
        })}
      </ul>
      <ErrorLine error={error} />
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Launchpad">{(user) => <Tiles user={user} />}</Shell>);
