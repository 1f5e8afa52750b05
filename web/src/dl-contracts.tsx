/**
 * The Data Lake Manager's oData Contract tile and wizard ("Insights Hub IIoT for Makers" §2.4.3): meta information,
 * folder selection from the data lake's folders at any depth (1 to 20, a lazy tree: dl-folders.tsx), a summary with download of the contract JSON and
 * publish, and the list of folder contracts with status and the registry's errors shown on the field.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, get, tenantOfHost } from './api';
import { FolderPicker } from './dl-folders';

const REG = '/api/odatacontracts/v1';
const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface FolderContract {
  id: string; kind: string; name: string; version: string; description: string; applicationName: string;
  folders?: string[]; published: boolean; state: string; entitySets: string[]; serviceRoot: string; etag: number;
}
interface Meta { name: string; version: string; description: string; applicationName: string }

/** The request body the wizard sends and downloads. */
const bodyOf = (m: Meta, folders: string[], publish: boolean) => ({ kind: 'folders', ...m, folders, publish });

/** Which wizard field an API message names (`folders[3] …`, `name …`), so the error sits on it. */
const fieldOf = (message: string): string => /^(folders|name|version|description|applicationName)\b/.exec(message)?.[1] ?? 'form';

function saveJson(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Wizard(props: { done(): void; cancel(): void }) {
  const [step, setStep] = useState(1);
  const [meta, setMeta] = useState<Meta>({ name: '', version: '1.0.0', description: '', applicationName: `mdsp_${tenantOfHost()}` });
  const [folders, setFolders] = useState<string[]>([]);
  const [publish, setPublish] = useState(true);
  const [error, setError] = useState<{ field: string; message: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const toggle = (f: string) => setFolders((s) => (s.includes(f) ? s.filter((x) => x !== f) : [...s, f]));
  const onMeta = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const v = (k: string) => String(f.get(k) ?? '').trim();
    setMeta({ name: v('name'), version: v('version'), description: v('description'), applicationName: v('applicationName') });
    setError(undefined);
    setStep(2);
  };
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`${REG}/contracts`, { method: 'POST', body: bodyOf(meta, folders, publish) });
      props.done();
    } catch (e) {
      const message = msg(e);
      const field = fieldOf(message);
      setError({ field, message });
      if (field === 'name' || field === 'version' || field === 'description' || field === 'applicationName') setStep(1);
      else if (field === 'folders') setStep(2);
    } finally {
      setBusy(false);
    }
  };
  const err = (field: string) => (error?.field === field
    ? <p className="error" role="alert" id={`dlc-${field}-error`} data-testid={`dlc-error-${field}`}>{error.message}</p> : null);

  return (
    <div className="wizard" data-testid="dlc-wizard">
      <p className="muted">Step {step} of 3: {['Meta information', 'Folders', 'Summary'][step - 1]}</p>
      {step === 1 && (
        <form onSubmit={onMeta} aria-label="Meta information">
          <label>Name <input name="name" required defaultValue={meta.name} aria-invalid={error?.field === 'name'} /></label>
          {err('name')}
          <label>Version <input name="version" required defaultValue={meta.version} /></label>
          {err('version')}
          <label>Description <input name="description" defaultValue={meta.description} /></label>
          <label>Application name <input name="applicationName" defaultValue={meta.applicationName} /></label>
          {err('applicationName')}
          <div className="actions">
            <button type="button" onClick={props.cancel}>Cancel</button>
            <button type="submit">Next</button>
          </div>
        </form>
      )}
      {step === 2 && (
        <fieldset aria-describedby={error?.field === 'folders' ? 'dlc-folders-error' : undefined}>
          <legend>Folders to publish (1 to 20)</legend>
          <FolderPicker checked={folders} check={toggle} />
          {folders.length > 0 && <p className="muted" data-testid="dlc-chosen">Chosen: {folders.join(', ')}</p>}
          {err('folders')}
          <div className="actions">
            <button type="button" onClick={() => setStep(1)}>Back</button>
            <button type="button" disabled={folders.length === 0} onClick={() => { setError(undefined); setStep(3); }}>Next</button>
          </div>
        </fieldset>
      )}
      {step === 3 && (
        <section aria-label="Summary">
          <dl>
            <dt>Name</dt><dd data-testid="dlc-summary-name">{meta.name}</dd>
            <dt>Version</dt><dd>{meta.version}</dd>
            <dt>Application name</dt><dd>{meta.applicationName}</dd>
            <dt>Folders</dt><dd>{folders.join(', ')}</dd>
          </dl>
          <label><input type="checkbox" checked={publish} onChange={(e) => setPublish(e.currentTarget.checked)} /> Publish</label>
          {err('form')}
          <div className="actions">
            <button type="button" onClick={() => setStep(2)}>Back</button>
            <button type="button" onClick={() => saveJson(meta.name || 'contract', bodyOf(meta, folders, publish))}>Download</button>
            <button type="button" disabled={busy} onClick={() => void submit()}>{publish ? 'Save and publish' : 'Save'}</button>
          </div>
        </section>
      )}
    </div>
  );
}

/** The tile: the tenant's folder contracts with status, and the wizard to add one. */
export function ODataTile() {
  const [list, setList] = useState<FolderContract[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  const load = useCallback(() => {
    get<{ contracts: FolderContract[] }>(`${REG}/contracts`)
      .then((r) => setList(r.contracts.filter((c) => c.kind === 'folders')))
      .catch((e) => setError(msg(e)));
  }, []);
  useEffect(load, [load]);
  const doPublish = async (c: FolderContract) => {
    try {
      await api(`${REG}/contracts/${c.id}/publish`, { method: 'POST', headers: { 'if-match': `"${c.etag}"` } });
      load();
    } catch (e) { setError(msg(e)); }
  };
  return (
    <section className="panel" aria-labelledby="odatatile">
      <h2 id="odatatile">oData Contract</h2>
      <p>Publish folders of the data lake as an OData service.</p>
      {open ? <Wizard done={() => { setOpen(false); load(); }} cancel={() => setOpen(false)} />
        : <button type="button" onClick={() => setOpen(true)}>Create oData contract</button>}
      {error && <p className="error" role="alert">{error}</p>}
      {list === undefined ? <p className="muted">Loading contracts…</p>
        : list.length === 0 ? <p className="muted">No folder contracts yet.</p>
        : (
          <table data-testid="dlc-list">
            <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Folders</th><th scope="col">Status</th><th scope="col">Service</th></tr></thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td><td>{c.version}</td><td>{(c.folders ?? []).join(', ')}</td>
                  <td>{c.published ? 'Published' : 'Saved'}{c.state !== 'valid' ? ` (${c.state})` : ''}</td>
                  <td>{c.published ? <code className="wrap">{c.serviceRoot}</code>
                    : <button type="button" onClick={() => void doPublish(c)}>Publish {c.name}</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </section>
  );
}
