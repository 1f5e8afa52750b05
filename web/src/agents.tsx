/**
 * Agents: the tenant's MindConnect agents with their connection and boarding status, creating one for an asset,
 * downloading its boarding configuration (the file an agent onboards with), offboarding and deleting it, and its
 * data point mappings (data points of its data source configuration → variables of an asset's aspect). Agent
 * Management API v3 and MindConnect API v3 only.
 */
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import * as agm from './agents-api';
import * as am from './am-api';
import { get } from './api';
import { field, FormPanel, msg } from './forms';
import { ErrorLine, Shell } from './shell';

interface Row { agent: agm.Agent; status?: string; boarding?: string }

function Mappings(props: { agent: agm.Agent; assets: am.Asset[] }) {
  const a = props.agent;
  const [list, setList] = useState<agm.Mapping[] | undefined>();
  const [points, setPoints] = useState<agm.DataPoint[]>([]);
  const [entityId, setEntityId] = useState(a.entityId);
  const [aspects, setAspects] = useState<am.Aspect[]>([]);
  const [aspect, setAspect] = useState('');
  const [error, setError] = useState<string | undefined>();
  const reload = useCallback(() => { agm.mappings(a.id).then(setList, (e) => setError(msg(e))); }, [a.id]);
  useEffect(() => {
    reload();
    agm.configuration(a.id).then((c) => setPoints(c.dataSources.flatMap((s) => s.dataPoints)), (e) => setError(msg(e)));
  }, [a.id, reload]);
  useEffect(() => {
    am.aspects(entityId).then((l) => {
      const dynamic = l.filter((x) => x.category !== 'static');
      setAspects(dynamic);
      setAspect(dynamic[0]?.name ?? '');
    }, (e) => setError(msg(e)));
  }, [entityId]);
  const variables = aspects.find((x) => x.name === aspect)?.variables ?? [];
  const name = (id: string) => props.assets.find((x) => x.assetId === id)?.name ?? id;
  return (
    <section className="panel" aria-labelledby="mappings">
      <h2 id="mappings">Data point mappings of {a.name}</h2>
      {list === undefined ? <p className="muted">Loading…</p> : list.length === 0 ? <p className="muted">No mappings yet.</p> : (
        <div className="scroll"><table data-testid="mappings"><thead><tr><th>Data point</th><th>Asset</th><th>Aspect.variable</th><th>Validity</th><th></th></tr></thead>
          <tbody>{list.map((m) => (
            <tr key={m.id}><td>{points.find((p) => p.id === m.dataPointId)?.name ?? m.dataPointId}</td><td>{name(m.entityId)}</td>
              <td>{m.propertySetName}.{m.propertyName}</td>
              <td>{m.validity.status === 'VALID' ? 'valid' : <span className="error">invalid: {m.validity.reasons.join('; ')}</span>}</td>
              <td><button type="button" className="danger" onClick={() => agm.unmap(m.id).then(reload, (e) => setError(msg(e)))}>Remove mapping {points.find((p) => p.id === m.dataPointId)?.name ?? m.dataPointId}</button></td></tr>
          ))}</tbody></table></div>
      )}
      <ErrorLine error={error} />
      {points.length === 0 ? <p className="muted">The agent has no data source configuration yet: the agent uploads it after onboarding.</p> : (
        <FormPanel title="New mapping" submit="Map data point" onSubmit={async (f) => {
          await agm.map({ agentId: a.id, dataPointId: field(f, 'dataPoint'), entityId, propertySetName: aspect, propertyName: field(f, 'variable'), keepMapping: false });
          reload();
        }}>
          <label>Data point<select name="dataPoint">{points.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.type}{p.unit ? `, ${p.unit}` : ''})</option>)}</select></label>
          <label>Asset<select name="entity" value={entityId} onChange={(e) => setEntityId(e.target.value)}>
            {props.assets.map((x) => <option key={x.assetId} value={x.assetId}>{x.name}</option>)}</select></label>
          <label>Aspect<select name="aspect" value={aspect} onChange={(e) => setAspect(e.target.value)}>
            {aspects.map((x) => <option key={x.name}>{x.name}</option>)}</select></label>
          <label>Variable<select name="variable">{variables.map((v) => <option key={v.name}>{v.name}</option>)}</select></label>
        </FormPanel>
      )}
    </section>
  );
}

function Agents() {
  const [rows, setRows] = useState<Row[] | undefined>();
  const [assets, setAssets] = useState<am.Asset[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<string | undefined>();
  const reload = useCallback(() => {
    agm.agents().then(async (list) => {
      setRows(list.map((agent) => ({ agent })));
      const full = await Promise.all(list.map(async (agent) => {
        const [s, b] = await Promise.all([agm.status(agent.id).catch(() => undefined), agm.boarding(agent.id).catch(() => undefined)]);
        return { agent, ...(s ? { status: s.status } : {}), ...(b ? { boarding: b.status } : {}) };
      }));
      setRows(full);
    }, (e) => setError(msg(e)));
  }, []);
  useEffect(() => {
    reload();
    get<{ _embedded?: { assets: am.Asset[] } }>(`${am.AM}/assets?size=500&sort=name,asc`)
      .then((p) => setAssets((p._embedded?.assets ?? []).filter((x) => x.parentId !== null)), (e) => setError(msg(e)));
  }, [reload]);
  const act = (f: () => Promise<unknown>) => { setError(undefined); f().then(reload, (e) => setError(msg(e))); };
  const download = (a: agm.Agent) => act(async () => agm.saveJson(`${a.name}-boarding.json`, await agm.boardingConfiguration(a.id)));
  const agent = rows?.find((r) => r.agent.id === selected)?.agent;
  return (
    <>
      <section className="panel" aria-labelledby="agents">
        <h2 id="agents">Agents</h2>
        {rows === undefined ? <p className="muted">Loading…</p> : rows.length === 0 ? <p className="muted">No agents yet: create one for an asset below.</p> : (
          <div className="scroll"><table data-testid="agents"><thead><tr><th>Name</th><th>Status</th><th>Boarding</th><th>Profile</th><th>Actions</th></tr></thead>
            <tbody>{rows.map(({ agent: a, status, boarding }) => (
              <tr key={a.id} aria-current={a.id === selected}>
                <td>{a.name}</td>
                <td data-testid={`status-${a.name}`}>{status === 'ONLINE' ? <span className="badge">online</span> : status === 'OFFLINE' ? 'offline' : '…'}</td>
                <td data-testid={`boarding-${a.name}`}>{boarding?.toLowerCase().replace(/_/g, ' ') ?? '…'}</td>
                <td>{a.securityProfile}</td>
                <td className="actions">
                  <button type="button" onClick={() => download(a)}>Boarding configuration of {a.name}</button>
                  <button type="button" aria-pressed={a.id === selected} onClick={() => setSelected(a.id)}>Mappings of {a.name}</button>
                  {boarding === 'ONBOARDED' && <button type="button" onClick={() => act(() => agm.offboard(a.id))}>Offboard {a.name}</button>}
                  {confirm === a.id
                    ? <button type="button" className="danger" onClick={() => act(() => agm.remove(a))}>Delete {a.name} now</button>
                    : <button type="button" className="danger" onClick={() => setConfirm(a.id)}>Delete {a.name}</button>}
                </td>
              </tr>
            ))}</tbody></table></div>
        )}
        <ErrorLine error={error} />
      </section>
      <FormPanel title="New agent" submit="Create agent" onSubmit={async (f) => {
        const a = await agm.create({ name: field(f, 'name'), entityId: field(f, 'entity'), securityProfile: field(f, 'profile') });
        setSelected(a.id);
        reload();
      }}>
        <label>Name<input name="name" required maxLength={128} /></label>
        <label>Asset (the agent's own)<select name="entity" required>
          {assets.map((x) => <option key={x.assetId} value={x.assetId}>{x.name}</option>)}</select></label>
        <label>Security profile<select name="profile" defaultValue="SHARED_SECRET">
          <option value="SHARED_SECRET">SHARED_SECRET</option><option value="RSA_3072">RSA_3072</option></select></label>
      </FormPanel>
      {agent && <Mappings key={agent.id} agent={agent} assets={assets} />}
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Agents">{() => <Agents />}</Shell>);
