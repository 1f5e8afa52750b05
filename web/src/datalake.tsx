/**
 * Data Lake Manager ("Insights Hub IIoT for Makers" §2.4.3, over Integrated Data Lake API v3): browse folders and
 * objects, upload files by drag and drop or a file picker with a progress bar per file, download, show an
 * object's metadata and edit its tags, delete; and the oData Contract tile with its folder contract wizard
 * (dl-contracts.tsx).
 */
import { useCallback, useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import * as dl from './dl-api';
import { ODataTile } from './dl-contracts';
import { ErrorLine, Shell } from './shell';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const nameOf = (path: string): string => path.replace(/\/$/, '').split('/').pop() ?? path;
const isFolder = (e: dl.Entry): boolean => e.path.endsWith('/');

/** The folder of the address (`?path=reports/2024/`), so a folder can be bookmarked. */
function folderOfUrl(): string {
  const p = new URLSearchParams(location.search).get('path') ?? '';
  return p === '' || p === '/' ? '' : p.endsWith('/') ? p : `${p}/`;
}

function Breadcrumbs(props: { folder: string; open(folder: string): void }) {
  const parts = props.folder.split('/').filter(Boolean);
  return (
    <nav aria-label="Folder">
      <ol className="crumbs">
        <li><button type="button" className="link" onClick={() => props.open('')}>Data lake</button></li>
        {parts.map((p, i) => {
          const to = `${parts.slice(0, i + 1).join('/')}/`;
          return (
            <li key={to}>
              {i === parts.length - 1
                ? <span aria-current="location">{p}</span>
                : <button type="button" className="link" onClick={() => props.open(to)}>{p}</button>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

interface Upload { id: number; name: string; sent: number; total: number; state: 'sending' | 'done' | 'failed'; error?: string }

function Uploader(props: { folder: string; onUploaded(): void }) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [over, setOver] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const seq = useRef(0);
  const update = (id: number, patch: Partial<Upload>) => setUploads((all) => all.map((u) => (u.id === id ? { ...u, ...patch } : u)));
  const send = (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const id = ++seq.current;
      setUploads((all) => [...all, { id, name: file.name, sent: 0, total: file.size, state: 'sending' }]);
      dl.upload(`${props.folder}${file.name}`, file, (sent, total) => update(id, { sent, total }))
        .then(() => { update(id, { state: 'done' }); props.onUploaded(); }, (e) => update(id, { state: 'failed', error: msg(e) }));
    }
  };
  const drop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    if (e.dataTransfer.files.length > 0) send(e.dataTransfer.files);
  };
  return (
    <section className="panel" aria-labelledby="upload">
      <h2 id="upload">Upload to {props.folder || 'the data lake root'}</h2>
      <div className={`dropzone${over ? ' over' : ''}`} data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={drop}>
        <p>Drop files here, or</p>
        <button type="button" onClick={() => picker.current?.click()}>Choose files…</button>
        <input ref={picker} type="file" multiple hidden aria-label="Files to upload"
          onChange={(e) => { if (e.currentTarget.files) send(e.currentTarget.files); e.currentTarget.value = ''; }} />
      </div>
      {uploads.length > 0 && (
        <ul className="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.id} data-state={u.state}>
              <span className="name">{u.name}</span>
              <progress max={u.total || 1} value={u.state === 'done' ? u.total || 1 : u.sent} aria-label={`Upload of ${u.name}`} />
              <span className="muted">
                {u.state === 'done' ? `Uploaded, ${dl.bytes(u.total)}` : u.state === 'sending' ? `${dl.bytes(u.sent)} of ${dl.bytes(u.total)}` : ''}
              </span>
              {u.state === 'failed' && <span role="alert" className="error">{u.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Details(props: { path: string; onDeleted(): void }) {
  const [meta, setMeta] = useState<dl.Metadata | undefined>();
  const [tags, setTags] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    setMeta(undefined);
    setError(undefined);
    setConfirm(false);
    setStatus('');
    dl.metadata(props.path).then((m) => { setMeta(m); setTags(m.tags); }, (e) => setError(msg(e)));
  }, [props.path]);
  const addTag = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem('tag') as HTMLInputElement;
    const t = input.value.trim();
    if (t && !tags.includes(t)) setTags([...tags, t]);
    input.value = '';
  };
  const save = async () => {
    try {
      const m = await dl.setTags(props.path, tags);
      setMeta(m);
      setTags(m.tags);
      setError(undefined);
      setStatus('Tags saved.');
    } catch (e) {
      setError(msg(e));
    }
  };
  const remove = async () => {
    try {
      await dl.remove(props.path);
      props.onDeleted();
    } catch (e) {
      setError(msg(e));
    }
  };
  const name = nameOf(props.path);
  return (
    <section className="panel" aria-labelledby="objdetails">
      <h2 id="objdetails">{name}</h2>
      {meta === undefined ? (!error && <p className="muted">Loading…</p>) : (
        <>
          <dl className="props wrap">
            <dt>Path</dt><dd>{meta.path}</dd>
            <dt>Size</dt><dd data-testid="size">{dl.bytes(meta.size)} ({meta.size} bytes)</dd>
            {meta.lastModified && <><dt>Last modified</dt><dd>{new Date(meta.lastModified).toLocaleString()}</dd></>}
            {meta.eTag && <><dt>ETag</dt><dd className="mono">{meta.eTag}</dd></>}
            {meta.sha256 && <><dt>SHA-256</dt><dd className="mono">{meta.sha256}</dd></>}
          </dl>
          <h3>Tags</h3>
          {tags.length === 0 ? <p className="muted">No tags.</p> : (
            <ul className="tags" aria-label="Tags">
              {tags.map((t) => (
                <li key={t}>{t} <button type="button" aria-label={`Remove tag ${t}`} onClick={() => setTags(tags.filter((x) => x !== t))}>×</button></li>
              ))}
            </ul>
          )}
          <form className="inline" onSubmit={addTag}>
            <label>New tag<input name="tag" maxLength={128} /></label>
            <button type="submit">Add tag</button>
            <button type="button" className="primary" onClick={() => void save()}>Save tags</button>
          </form>
          <p role="status" className="muted">{status}</p>
          <p>
            <a href={dl.downloadUrl(props.path)} download={name}>Download {name}</a>{' '}
            {confirm
              ? <><button type="button" className="danger" onClick={() => void remove()}>Delete {name} now</button>{' '}
                <button type="button" onClick={() => setConfirm(false)}>Keep it</button></>
              : <button type="button" className="danger" onClick={() => setConfirm(true)}>Delete object</button>}
          </p>
        </>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

function Manager() {
  const [folder, setFolder] = useState(folderOfUrl);
  const [entries, setEntries] = useState<dl.Entry[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const load = useCallback(async (f: string) => {
    setError(undefined);
    try {
      const page = await dl.list(f);
      setEntries(page.objects);
      setNext(page.page.nextToken);
    } catch (e) {
      setEntries([]);
      setError(msg(e));
    }
  }, []);
  useEffect(() => {
    setEntries(undefined);
    setSelected(undefined);
    void load(folder);
  }, [folder, load]);
  const open = (f: string) => {
    history.replaceState(null, '', f ? `?${new URLSearchParams({ path: f })}` : location.pathname);
    setFolder(f);
  };
  const more = async () => {
    try {
      const page = await dl.list(folder, next);
      setEntries((all) => [...(all ?? []), ...page.objects]);
      setNext(page.page.nextToken);
    } catch (e) {
      setError(msg(e));
    }
  };
  const newFolder = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const input = e.currentTarget.elements.namedItem('folder') as HTMLInputElement;
    const name = input.value.trim().replace(/^\/+|\/+$/g, '');
    if (name) open(`${folder}${name}/`);
    input.value = '';
  };
  return (
    <div className="split wide-right">
      <div>
        <ODataTile />
        <Uploader folder={folder} onUploaded={() => void load(folder)} />
      </div>
      <div>
        <section className="panel" aria-labelledby="objects">
          <h2 id="objects">Folders and objects</h2>
          <Breadcrumbs folder={folder} open={open} />
          <form className="inline" onSubmit={newFolder}>
            <label>Folder<input name="folder" placeholder="reports" /></label>
            <button type="submit">Open folder</button>
          </form>
          <p className="muted">A new folder appears once a file is uploaded into it.</p>
          {entries === undefined ? <p className="muted">Loading…</p>
            : entries.length === 0 ? (!error && <p className="muted" data-testid="empty">This folder is empty: drop files to upload them here.</p>) : (
              <div className="scroll-x"><table>
                <thead><tr><th>Name</th><th>Size</th><th>Last modified</th><th><span className="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {entries.map((e) => (
                    <tr key={e.path} aria-selected={selected === e.path}>
                      <td>
                        {isFolder(e)
                          ? <button type="button" className="link" onClick={() => open(e.path)}>{nameOf(e.path)}/</button>
                          : <button type="button" className="link" onClick={() => setSelected(e.path)}>{nameOf(e.path)}</button>}
                      </td>
                      <td>{isFolder(e) ? '—' : dl.bytes(e.size)}</td>
                      <td>{e.lastModified ? new Date(e.lastModified).toLocaleString() : ''}</td>
                      <td>{!isFolder(e) && <a href={dl.downloadUrl(e.path)} download={nameOf(e.path)} aria-label={`Download ${nameOf(e.path)}`}>Download</a>}</td>
                    </tr>
                  ))}
                </tbody>
              </table></div>
            )}
          {next && <button type="button" onClick={() => void more()}>More objects…</button>}
          <ErrorLine error={error} />
        </section>
        {selected && <Details key={selected} path={selected} onDeleted={() => { setSelected(undefined); void load(folder); }} />}
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Data Lake Manager">{() => <Manager />}</Shell>);
