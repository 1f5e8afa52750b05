/**
 * Asset Manager, OData contracts ("Insights Hub IIoT for Makers" §2.3.3): the card with the number of contracts,
 * the list with status and errors, and the wizard: choose asset types with a live preview of the entity sets (a
 * name that breaks a rule, such as a too-long `AGGR_…` name, shown on its alias field before submit), the meta
 * information with the application name prefilled `mdsp_{tenant}`, then save, download or publish (publish
 * preselected). OData contract registry API only.
 */
import { useEffect, useId, useState } from 'react';
import type * as am from './am-api';
import { tenantOfHost } from './api';
import * as odata from './contracts-api';
import { msg } from './forms';
import { ErrorLine } from './shell';

export function ContractsCard(props: { count: number | undefined; open(): void }) {
  return (
    <section className="panel card" aria-labelledby="contracts-card">
      <h2 id="contracts-card">OData contracts</h2>
      <p><span className="big" data-testid="contract-count">{props.count ?? '…'}</span> {props.count === 1 ? 'contract' : 'contracts'}</p>
      <button type="button" onClick={props.open}>Manage contracts</button>
    </section>
  );
}

type Action = 'publish' | 'save' | 'download';

function Wizard(props: { types: am.AssetType[]; onDone(c: odata.Contract): void; cancel(): void }) {
  const tenant = tenantOfHost();
  const [step, setStep] = useState(1);
  const [chosen, setChosen] = useState<string[]>([]);
  const [aliases, setAliases] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<{ entitySets: odata.EntitySet[]; problems: odata.Problem[] } | undefined>();
  const [meta, setMeta] = useState({ name: '', version: '1.0.0', description: '', environmentName: 'default', environmentType: 'sandbox', applicationName: `mdsp_${tenant}` });
  const [action, setAction] = useState<Action>('publish');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const ids = { types: useId(), meta: useId(), action: useId() };
  const mine = props.types.filter((t) => !t.id.startsWith('core.'));

  // the live preview: every change of the chosen types or aliases asks the registry what they would serve
  useEffect(() => {
    if (chosen.length === 0) { setPreview(undefined); return; }
    let stale = false;
    const used = Object.fromEntries(Object.entries(aliases).filter(([, v]) => v.trim() !== ''));
    const timer = setTimeout(() => {
      odata.preview({ assetTypes: chosen, aliases: used }).then((p) => { if (!stale) { setPreview(p); setError(undefined); } }, (e) => !stale && setError(msg(e)));
    }, 150);
    return () => { stale = true; clearTimeout(timer); };
  }, [chosen, aliases]);

  const problems = preview?.problems ?? [];
  const aliasable = problems.filter((p) => p.alias);
  const finish = async () => {
    setBusy(true);
    try {
      const used = Object.fromEntries(Object.entries(aliases).filter(([, v]) => v.trim() !== ''));
      const c = await odata.create({ ...meta, assetTypes: chosen, aliases: used, publish: action === 'publish' });
      if (action === 'download') await odata.download(c);
      props.onDone(c);
    } catch (e) {
      setError(msg(e));
    } finally {
      setBusy(false);
    }
  };
  const metaField = (key: keyof typeof meta, label: string, extra: Record<string, unknown> = {}) => (
    <label>{label}<input name={key} value={meta[key]} onChange={(e) => setMeta((m) => ({ ...m, [key]: e.target.value }))} {...extra} /></label>
  );

  return (
    <section className="panel" aria-label="New OData contract" data-testid="wizard">
      <h2>New OData contract · step {step} of 3</h2>
      {step === 1 && <>
        <fieldset><legend id={ids.types}>Asset types</legend>
          {mine.length === 0 ? <p className="muted">Create an asset type first.</p> : mine.map((t) => (
            <label key={t.id} className="check"><input type="checkbox" name="assetType" value={t.id} checked={chosen.includes(t.id)}
              onChange={(e) => setChosen((c) => (e.target.checked ? [...c, t.id] : c.filter((x) => x !== t.id)))} /> {t.name} <span className="muted">({t.id})</span></label>
          ))}
        </fieldset>
        {aliasable.map((p) => {
          const key = p.alias!.for;
          return (
            <label key={key} className="alias">Alias for {key.length > 60 ? `${key.slice(0, 57)}…` : key}
              <input name={`alias.${key}`} value={aliases[key] ?? ''} placeholder={p.alias!.suggestion} aria-invalid="true"
                aria-describedby={`rule-${key}`} onChange={(e) => setAliases((a) => ({ ...a, [key]: e.target.value }))} />
              <span id={`rule-${key}`} className="error field-error" role="alert">{p.item} {p.rule}</span>
              <button type="button" onClick={() => setAliases((a) => ({ ...a, [key]: p.alias!.suggestion }))}>Use {p.alias!.suggestion.length > 40 ? 'the suggestion' : p.alias!.suggestion}</button>
            </label>
          );
        })}
        {problems.filter((p) => !p.alias).map((p) => <p key={p.item} className="error" role="alert">{p.item} {p.rule}</p>)}
        <h3>Preview</h3>
        {!preview ? <p className="muted">Choose asset types to see their entity sets.</p> : (
          <table data-testid="preview"><thead><tr><th>Entity set</th><th>Kind</th><th>Properties</th></tr></thead>
            <tbody>{preview.entitySets.map((s) => <tr key={s.name}><td>{s.name}</td><td>{s.kind}</td><td>{s.properties.length}</td></tr>)}</tbody></table>
        )}
      </>}
      {step === 2 && (
        <fieldset className="inline"><legend id={ids.meta}>Meta information</legend>
          {metaField('name', 'Name', { required: true, pattern: '[A-Za-z][A-Za-z0-9_]{0,63}' })}
          {metaField('version', 'Version', { required: true })}
          {metaField('description', 'Description')}
          {metaField('environmentName', 'Environment name')}
          <label>Environment type<select name="environmentType" value={meta.environmentType} onChange={(e) => setMeta((m) => ({ ...m, environmentType: e.target.value }))}>
            {['sandbox', 'non-production', 'production'].map((t) => <option key={t}>{t}</option>)}</select></label>
          {metaField('applicationName', 'Application name', { required: true })}
        </fieldset>
      )}
      {step === 3 && (
        <fieldset><legend id={ids.action}>Summary: {meta.name} {meta.version}, {chosen.length} asset type(s), {preview?.entitySets.length ?? 0} entity sets</legend>
          {([['publish', 'Publish (the service is available at once)'], ['save', 'Save only'], ['download', 'Save and download the CSDL']] as const).map(([v, label]) => (
            <label key={v} className="check"><input type="radio" name="action" value={v} checked={action === v} onChange={() => setAction(v)} /> {label}</label>
          ))}
        </fieldset>
      )}
      <p className="actions">
        <button type="button" onClick={props.cancel}>Cancel</button>
        {step > 1 && <button type="button" onClick={() => setStep(step - 1)}>Back</button>}
        {step < 3 && <button type="button" className="primary" onClick={() => setStep(step + 1)}
          disabled={step === 1 ? chosen.length === 0 || problems.length > 0 : !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(meta.name) || !meta.version}>Next</button>}
        {step === 3 && <button type="button" className="primary" disabled={busy} onClick={() => void finish()}>
          {action === 'publish' ? 'Publish' : action === 'save' ? 'Save' : 'Save and download'}</button>}
      </p>
      <ErrorLine error={error} />
    </section>
  );
}

export function Contracts(props: { types: am.AssetType[]; list: odata.Contract[] | undefined; reload(): void; close(): void }) {
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const act = (f: () => Promise<unknown>) => f().then(props.reload, (e) => setError(msg(e)));
  return (
    <>
      <section className="panel" aria-labelledby="contracts">
        <h2 id="contracts">OData contracts</h2>
        <p className="actions"><button type="button" className="primary" onClick={() => setAdding(true)} disabled={adding}>Add contract</button>
          <button type="button" onClick={props.close}>Back to assets</button></p>
        {props.list === undefined ? <p className="muted">Loading…</p> : props.list.length === 0 ? <p className="muted">No contracts yet.</p> : (
          <div className="scroll"><table data-testid="contracts"><thead><tr><th>Name</th><th>Version</th><th>Status</th><th>Errors</th><th>Service</th><th></th></tr></thead>
            <tbody>{props.list.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td><td>{c.version}</td>
                <td data-testid={`status-${c.name}`}>{c.published ? 'published' : 'saved'}{c.state === 'degraded' ? ' · degraded' : ''}</td>
                <td>{c.problems.length === 0 ? <span className="muted">none</span> : <ul className="plain error">{c.problems.map((p) => <li key={p.item}>{p.item} {p.rule}</li>)}</ul>}</td>
                <td>{c.published ? <code className="wrap">{c.serviceRoot}</code> : <span className="muted">not published</span>}</td>
                <td className="actions">
                  {!c.published && <button type="button" onClick={() => act(() => odata.publish(c))}>Publish {c.name}</button>}
                  <button type="button" onClick={() => act(() => odata.download(c))}>Download {c.name}</button>
                </td>
              </tr>
            ))}</tbody></table></div>
        )}
        <ErrorLine error={error} />
      </section>
      {adding && <Wizard types={props.types} cancel={() => setAdding(false)} onDone={() => { setAdding(false); props.reload(); }} />}
    </>
  );
}
