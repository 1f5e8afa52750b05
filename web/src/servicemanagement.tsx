/**
 * Service Management ("Insights Hub IIoT for Makers" §3, binding keys): create a binding key by naming the app
 * connection, shown once in a dialog with a copy button for each of clientID, TokenURL and clientSecret and the
 * warning that they are not shown again; list the tenant's keys and revoke them. Over the admin API
 * `/api/ironbridge/v1/keys`.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { api, get } from './api';
import { CopyField } from './copy';
import { ErrorLine, Shell } from './shell';

const KEYS = '/api/ironbridge/v1/keys';

interface Key { clientId: string; name: string; kind: string; scopes: string[]; createdAt: string; revokedAt: string | null }
interface Created { name: string; clientId: string; clientSecret: string; tokenUrl: string }

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The one showing of a new key's credentials. */
function Shown(props: { created: Created; onClose(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const k = props.created;
  return (
    <dialog ref={dialog} aria-labelledby="shownkey" onClose={props.onClose} className="keydialog">
      <h2 id="shownkey">Binding key {k.name}</h2>
      <p role="alert" className="warning">
        Copy these values now: the client secret is not stored in readable form and will not be shown again.
      </p>
      <CopyField label="clientID" value={k.clientId} testId="clientId" />
      <CopyField label="TokenURL" value={k.tokenUrl} testId="tokenUrl" />
      <CopyField label="clientSecret" value={k.clientSecret} testId="clientSecret" />
      <p><button type="button" className="primary" onClick={() => dialog.current?.close()}>I have copied them, close</button></p>
    </dialog>
  );
}

function Row(props: { k: Key; onRevoked(): void }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const k = props.k;
  const revoke = async () => {
    try {
      await api<void>(`${KEYS}/${encodeURIComponent(k.name)}`, { method: 'DELETE' });
      props.onRevoked();
    } catch (e) {
      setError(msg(e));
    }
  };
  return (
    <tr>
      <td>{k.name}</td>
      <td className="mono">{k.clientId}</td>
      <td>{new Date(k.createdAt).toLocaleString()}</td>
      <td data-testid="key-state">{k.revokedAt ? `Revoked ${new Date(k.revokedAt).toLocaleString()}` : 'Active'}</td>
      <td>
        {!k.revokedAt && (confirm
          ? <><button type="button" className="danger" onClick={() => void revoke()}>Revoke {k.name} now</button>{' '}
            <button type="button" onClick={() => setConfirm(false)}>Keep it</button></>
          : <button type="button" className="danger" onClick={() => setConfirm(true)} aria-label={`Revoke ${k.name}`}>Revoke</button>)}
        <ErrorLine error={error} />
      </td>
    </tr>
  );
}

function Keys() {
  const [keys, setKeys] = useState<Key[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | undefined>();
  const [created, setCreated] = useState<Created | undefined>();
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    try {
      setKeys(await get<Key[]>(KEYS));
      setError(undefined);
    } catch (e) {
      setKeys([]);
      setError(msg(e));
    }
  }, []);
  useEffect(() => { void load(); }, [load]);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const name = String(new FormData(form).get('name') ?? '').trim();
    setBusy(true);
    try {
      const { body } = await api<Created>(KEYS, { method: 'POST', body: { name } });
      setFormError(undefined);
      form.reset();
      setCreated(body);
      void load();
    } catch (err) {
      setFormError(msg(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section className="panel" aria-labelledby="newkey">
        <h2 id="newkey">New binding key</h2>
        <p className="muted">Name the app connection (for example the low-code app that will call the APIs).</p>
        <form className="inline" onSubmit={(e) => void submit(e)}>
          <label>App connection name<input name="name" required maxLength={64} /></label>
          <button type="submit" className="primary" disabled={busy}>Create binding key</button>
        </form>
        <ErrorLine error={formError} />
      </section>
      <section className="panel" aria-labelledby="keylist">
        <h2 id="keylist">Binding keys</h2>
        {keys === undefined ? <p className="muted">Loading…</p>
          : keys.length === 0 ? (!error && <p className="muted" data-testid="empty">No binding keys yet: create one above.</p>) : (
            <div className="scroll-x"><table>
              <thead><tr><th>Name</th><th>clientID</th><th>Created</th><th>State</th><th><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>{keys.map((k) => <Row key={k.clientId} k={k} onRevoked={() => { setFormError(undefined); void load(); }} />)}</tbody>
            </table></div>
          )}
        <ErrorLine error={error} />
      </section>
      {created && <Shown created={created} onClose={() => setCreated(undefined)} />}
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Service Management">{() => <Keys />}</Shell>);
