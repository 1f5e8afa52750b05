/**
 * Asset Manager, one asset: its properties, static values (type variables and static aspects) with their edit
 * form, its time series at a glance (the latest value of each dynamic aspect's variables, with a link to the
 * Explorer), and deleting it. Asset Management API v3 and IoT Time Series API v3.
 */
import { useEffect, useState } from 'react';
import * as am from './am-api';
import { appHost } from './api';
import { field, FormPanel, msg } from './forms';
import { ErrorLine } from './shell';

type Latest = Record<string, Record<string, unknown> | undefined | 'error'>;

function Glance(props: { asset: am.Asset; aspects: am.Aspect[] }) {
  const dynamic = props.aspects.filter((a) => a.category !== 'static');
  const [latest, setLatest] = useState<Latest>({});
  useEffect(() => {
    setLatest({});
    for (const a of dynamic) {
      am.latest(props.asset.assetId, a.name).then((r) => setLatest((l) => ({ ...l, [a.name]: r })), () => setLatest((l) => ({ ...l, [a.name]: 'error' })));
    }
  }, [props.asset, props.aspects]); // eslint-disable-line react-hooks/exhaustive-deps -- a re-read asset reads its latest values again
  if (dynamic.length === 0) return <p className="muted">No time series aspects.</p>;
  return <>{dynamic.map((asp) => {
    const l = latest[asp.name];
    return (
      <div key={asp.name} className="glance">
        <strong>{asp.name}</strong> <span className="muted">({asp.aspectTypeId})</span>{' '}
        <a href={`${appHost('explorer')}?${new URLSearchParams({ asset: props.asset.assetId, aspect: asp.name })}`}>Time series in the Explorer</a>
        <table><thead><tr><th>Variable</th><th>Type</th><th>Unit</th><th>Latest</th></tr></thead>
          <tbody>{asp.variables.map((v) => {
            const value = l && l !== 'error' ? l[v.name] : undefined;
            return <tr key={v.name}><td>{v.name}</td><td>{v.dataType}</td><td>{v.unit ?? ''}</td>
              <td data-testid={`latest-${asp.name}-${v.name}`}>{value === undefined || value === null ? <span className="muted">—</span> : String(value)}</td></tr>;
          })}</tbody></table>
        <p className="muted small">{l === undefined ? 'Loading…' : l === 'error' ? 'The latest values could not be read.'
          : l['_time'] ? `Last value at ${new Date(String(l['_time'])).toLocaleString()}` : 'No values yet.'}</p>
      </div>
    );
  })}</>;
}

function EditAsset(props: { asset: am.AssetDetail; aspects: am.Aspect[]; onSaved(a: am.Asset): void }) {
  const a = props.asset;
  const statics = props.aspects.filter((x) => x.category === 'static');
  const valueOf = (aspect: string, v: string) => a.aspects?.find((x) => x.name === aspect)?.variables.find((x) => x.name === v)?.value ?? '';
  return (
    <FormPanel title={`Edit ${a.name}`} submit="Save asset" reset={false} testId="edit-asset" onSubmit={async (f) => {
      const value = (k: string) => (field(f, k) === '' ? null : field(f, k));
      const { body } = await am.updateAsset(a, {
        name: field(f, 'name'), description: field(f, 'description'),
        variables: (a.variables ?? []).map((v) => ({ name: v.name, value: value(`var.${v.name}`) })),
        aspects: statics.map((s) => ({ name: s.name, variables: s.variables.map((v) => ({ name: v.name, value: value(`aspect.${s.name}.${v.name}`) })) })),
      });
      props.onSaved(body);
    }}>
      <label>Name<input name="name" required defaultValue={a.name} /></label>
      <label>Description<input name="description" defaultValue={a.description ?? ''} /></label>
      {(a.variables ?? []).map((v) => <label key={v.name}>{v.name}<input name={`var.${v.name}`} defaultValue={v.value ?? ''} /></label>)}
      {statics.flatMap((s) => s.variables.map((v) => (
        <label key={`${s.name}.${v.name}`}>{s.name}.{v.name}<input name={`aspect.${s.name}.${v.name}`} defaultValue={valueOf(s.name, v.name)} /></label>
      )))}
    </FormPanel>
  );
}

export function Details(props: { asset: am.AssetDetail; onDeleted(): void; onSaved(a: am.Asset): void }) {
  const a = props.asset;
  // the aspects with the asset they belong to, so a newly selected asset never shows (or reads) the last one's
  const [loaded, setLoaded] = useState<{ id: string; list: am.Aspect[] } | undefined>();
  const aspects = loaded?.id === a.assetId ? loaded.list : undefined;
  const [error, setError] = useState<string | undefined>();
  const [confirm, setConfirm] = useState(false);
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    setConfirm(false);
    setEditing(false);
    setError(undefined);
    am.aspects(a.assetId).then((list) => setLoaded({ id: a.assetId, list }), (e) => setError(msg(e)));
  }, [a.assetId]);
  const remove = async () => {
    try {
      await am.deleteAsset(a);
      props.onDeleted();
    } catch (e) {
      setError(msg(e));
    }
  };
  const statics = (aspects ?? []).filter((x) => x.category === 'static');
  return (
    <section className="panel" aria-labelledby="details">
      <h2 id="details">{a.name}</h2>
      <dl className="props">
        <dt>Asset ID</dt><dd>{a.assetId}</dd>
        <dt>Type</dt><dd data-testid="asset-type">{a.typeId}</dd>
        {a.externalId && <><dt>External ID</dt><dd>{a.externalId}</dd></>}
        {a.description && <><dt>Description</dt><dd>{a.description}</dd></>}
      </dl>
      <h3>Static values</h3>
      {(a.variables?.length ?? 0) + statics.length > 0 ? (
        <table><thead><tr><th>Variable</th><th>Value</th></tr></thead>
          <tbody>
            {(a.variables ?? []).map((v) => <tr key={v.name}><td>{v.name}</td><td>{v.value ?? '—'}</td></tr>)}
            {statics.flatMap((s) => s.variables.map((v) => {
              const value = a.aspects?.find((x) => x.name === s.name)?.variables.find((x) => x.name === v.name)?.value;
              return <tr key={`${s.name}.${v.name}`}><td>{s.name}.{v.name}</td><td>{value ?? '—'}</td></tr>;
            }))}
          </tbody></table>
      ) : <p className="muted">No static values.</p>}
      <h3>Time series at a glance</h3>
      {aspects === undefined ? <p className="muted">Loading…</p> : <Glance asset={a} aspects={aspects} />}
      <p className="actions">
        {a.parentId !== null && <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>Edit asset</button>}
        {a.parentId !== null && (confirm
          ? <><button type="button" className="danger" onClick={() => void remove()}>Delete {a.name} now</button>
            <button type="button" onClick={() => setConfirm(false)}>Keep it</button></>
          : <button type="button" className="danger" onClick={() => setConfirm(true)}>Delete asset</button>)}
      </p>
      {editing && aspects && <EditAsset asset={a} aspects={aspects} onSaved={(x) => { setEditing(false); props.onSaved(x); }} />}
      <ErrorLine error={error} />
    </section>
  );
}
