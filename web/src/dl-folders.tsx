/**
 * The folder picker of the Data Lake Manager's oData Contract wizard ("Insights Hub IIoT for Makers" §2.4.3): the
 * data lake's folders as a lazy tree, each folder's subfolders listed (Integrated Data Lake API v3 `GET /objects`,
 * a page at a time) only when it is opened, so a deep or wide lake costs one listing per opened folder. Every
 * folder at any depth can be checked; the wizard holds the checked paths.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import * as dl from './dl-api';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const nameOf = (path: string): string => path.replace(/\/$/, '').split('/').pop() ?? path;

/** What is known of one folder's subfolders: the pages listed so far, or the API's message. */
interface Kids { folders: string[]; next?: string; loading: boolean; error?: string }

/**
 * Lists the subfolders of `folder` ('' is the root) one page of entries at a time; a page may hold objects only,
 * so "More folders…" stays offered while the listing has a next page.
 */
function useKids(): [Record<string, Kids>, (folder: string) => void] {
  const [kids, setKids] = useState<Record<string, Kids>>({});
  const current = useRef(kids);
  current.current = kids;
  // folders whose page is on its way: load() starts no second listing of them (a double click, a re-render)
  const inflight = useRef(new Set<string>());
  const load = useCallback((folder: string) => {
    if (inflight.current.has(folder)) return;
    inflight.current.add(folder);
    const token = current.current[folder]?.next;
    const set = (k: (prev: Kids | undefined) => Kids) => setKids((a) => ({ ...a, [folder]: k(a[folder]) }));
    set((prev) => ({ folders: prev?.folders ?? [], next: token, loading: true }));
    dl.list(folder, token).then(
      (l) => set((prev) => ({ folders: [...(prev?.folders ?? []), ...l.objects.filter((e) => e.path.endsWith('/') && e.path !== folder).map((e) => e.path)],
        next: l.page.nextToken, loading: false })),
      (e) => set((prev) => ({ folders: prev?.folders ?? [], next: token, loading: false, error: msg(e) })),
    ).finally(() => inflight.current.delete(folder));
  }, []);
  return [kids, load];
}

interface TreeProps { kids: Record<string, Kids>; open: Set<string>; checked: string[]; toggle(folder: string): void; more(folder: string): void; check(folder: string): void }

/** The subfolders of `parent` as a list, with their loading, empty, error and more states. */
function Level(props: TreeProps & { parent: string }) {
  const k = props.kids[props.parent];
  const root = props.parent === '';
  if (!k || (k.loading && k.folders.length === 0)) return <p className="muted">Loading folders…</p>;
  return (
    <>
      {k.folders.length === 0 && !k.next && !k.error && (
        <p className="muted">{root ? 'The data lake has no folders yet: upload a file into a folder first.' : `No subfolders in ${props.parent}`}</p>
      )}
      {k.folders.length > 0 && (
        <ul className="tree" aria-label={root ? 'Data lake folders' : `Subfolders of ${props.parent}`}>
          {k.folders.map((f) => <Folder key={f} {...props} path={f} />)}
        </ul>
      )}
      {k.error && <p className="error" role="alert">{k.error}</p>}
      {k.next && (
        <button type="button" className="link" disabled={k.loading} onClick={() => props.more(props.parent)}>
          More folders{root ? '' : ` in ${props.parent}`}…
        </button>
      )}
    </>
  );
}

function Folder(props: TreeProps & { path: string }) {
  const isOpen = props.open.has(props.path);
  return (
    <li>
      <button type="button" className="toggle" aria-expanded={isOpen} aria-label={`${isOpen ? 'Close' : 'Open'} ${props.path}`}
        onClick={() => props.toggle(props.path)}>{isOpen ? '▾' : '▸'}</button>
      {/* the full path is the checkbox's name: a subfolder's own name may repeat elsewhere in the lake */}
      <label title={props.path}>
        <input type="checkbox" aria-label={props.path} checked={props.checked.includes(props.path)} onChange={() => props.check(props.path)} />
        {' '}{nameOf(props.path)}/
      </label>
      {isOpen && <div className="subtree"><Level {...props} parent={props.path} /></div>}
    </li>
  );
}

/** The lazy folder tree; `checked` and `check` belong to the wizard. */
export function FolderPicker(props: { checked: string[]; check(folder: string): void }) {
  const [kids, load] = useKids();
  const [open, setOpen] = useState<Set<string>>(new Set());
  useEffect(() => load(''), [load]);
  const toggle = (folder: string) => {
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(folder)) n.delete(folder);
      else n.add(folder);
      return n;
    });
    if (!kids[folder]) load(folder);
  };
  return <Level parent="" kids={kids} open={open} checked={props.checked} toggle={toggle} more={load} check={props.check} />;
}
