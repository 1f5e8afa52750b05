/**
 * Asset Manager: the asset tree (children loaded a page at a time when a node opens, searchable), the selected
 * asset (am-asset.tsx), creating assets, the types (am-types.tsx) and the OData contracts card and wizard
 * (am-contracts.tsx). Asset Management API v3 and the OData contract registry only.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import * as am from './am-api';
import { Details } from './am-asset';
import { Contracts, ContractsCard } from './am-contracts';
import { NewAspectType, NewAssetType, Types } from './am-types';
import * as odata from './contracts-api';
import { field, FormPanel, msg } from './forms';
import { ErrorLine, Shell } from './shell';
import { isShown, onTreeKey } from './tree-keys';

/** Children of each opened node, by parent id; a changed parent is reloaded by dropping its entry. */
type Kids = Record<string, { items: am.Asset[]; pages: number; more: boolean } | 'loading'>;

function Node(props: { asset: am.Asset; kids: Kids; open: Set<string>; selected: string | undefined;
  /** The one node in the Tab order (tree-keys.ts: roving tabindex). */
  tabbable: string;
  toggle(a: am.Asset): void; select(a: am.Asset): void; more(a: am.Asset): void }) {
  const { asset: a, kids, open } = props;
  const isOpen = open.has(a.assetId);
  const list = kids[a.assetId];
  return (
    <li role="treeitem" aria-expanded={isOpen} aria-selected={props.selected === a.assetId} data-id={a.assetId}>
      <button type="button" className="toggle" tabIndex={-1} aria-label={`${isOpen ? 'Close' : 'Open'} ${a.name}`} onClick={() => props.toggle(a)}>
        {isOpen ? '▾' : '▸'}
      </button>
      <button type="button" className="node" tabIndex={props.tabbable === a.assetId ? 0 : -1}
        aria-current={props.selected === a.assetId} onClick={() => props.select(a)}>{a.name}</button>
      {isOpen && (
        <ul role="group">
          {list === 'loading' || list === undefined ? <li className="muted">Loading…</li>
            : list.items.length === 0 ? <li className="muted">No children</li>
            : list.items.map((c) => <Node key={c.assetId} {...props} asset={c} />)}
          {list !== 'loading' && list?.more && (
            <li><button type="button" className="node" tabIndex={-1} onClick={() => props.more(a)}>More children…</button></li>
          )}
        </ul>
      )}
    </li>
  );
}

function NewAsset(props: { parent: am.Asset; types: am.AssetType[]; onCreated(a: am.Asset): void }) {
  const usable = props.types.filter((t) => t.instantiable !== false && !t.id.startsWith('core.'));
  const [typeId, setTypeId] = useState('');
  const type = usable.find((t) => t.id === typeId) ?? usable[0];
  if (usable.length === 0) {
    return <section className="panel" aria-label="New asset"><h2>New asset under {props.parent.name}</h2><p className="muted">Create an asset type first.</p></section>;
  }
  return (
    <FormPanel title={`New asset under ${props.parent.name}`} submit="Create asset" onSubmit={async (f) => {
      // static values: the type's variables given a value (the others keep the type's default)
      const variables = (type?.variables ?? []).flatMap((v) => {
        const value = field(f, `var.${v.name}`);
        return value === '' ? [] : [{ name: v.name, value }];
      });
      const { body } = await am.createAsset({ name: field(f, 'name'), typeId: type?.id ?? '', parentId: props.parent.assetId,
        ...(variables.length ? { variables } : {}) });
      props.onCreated(body);
    }}>
      <label>Name<input name="name" required /></label>
      <label>Type
        <select name="type" value={type?.id ?? ''} onChange={(e) => setTypeId(e.target.value)}>
          {usable.map((t) => <option key={t.id} value={t.id}>{t.name} ({t.id})</option>)}
        </select>
      </label>
      {(type?.variables ?? []).map((v) => (
        <label key={`${type?.id}.${v.name}`}>{v.name} <span className="muted">({v.dataType})</span><input name={`var.${v.name}`} /></label>
      ))}
    </FormPanel>
  );
}

/** Search by name: the hits as a flat list beside the tree (a hit deep down needs no opening of its ancestors). */
function Search(props: { select(a: am.Asset): void }) {
  const [hits, setHits] = useState<am.Asset[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget).get('q') ?? '').trim();
    if (!text) { setHits(undefined); return; }
    try {
      setHits(await am.search(text));
      setError(undefined);
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <div role="search">
      <form className="inline" onSubmit={(e) => void submit(e)}>
        <label>Find assets<input name="q" type="search" placeholder="Name contains…" /></label>
        <button type="submit">Search</button>
      </form>
      {hits && (hits.length === 0 ? <p className="muted">No asset matches.</p> : (
        <ul className="tree" aria-label="Search results">
          {hits.map((a) => <li key={a.assetId}><button type="button" className="node" onClick={() => props.select(a)}>{a.name}</button></li>)}
        </ul>
      ))}
      <ErrorLine error={error} />
    </div>
  );
}

function AssetManager() {
  const [rootAsset, setRoot] = useState<am.Asset | undefined>();
  const [kids, setKids] = useState<Kids>({});
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<am.AssetDetail | undefined>();
  const [types, setTypes] = useState<am.AssetType[]>([]);
  const [aspectTypes, setAspectTypes] = useState<am.AspectType[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [contracts, setContracts] = useState<odata.Contract[] | undefined>();
  const [view, setView] = useState<'assets' | 'contracts'>('assets');
  /** The tree node that last had the focus: it stays the tree's Tab stop while it is shown, else the root is. */
  const [focusId, setFocusId] = useState<string | undefined>();
  const loadContracts = useCallback(() => { odata.contracts().then(setContracts, (e) => setError(msg(e))); }, []);
  const loadTypes = useCallback(() => {
    am.assetTypes().then(setTypes, (e) => setError(msg(e)));
    am.aspectTypes().then(setAspectTypes, (e) => setError(msg(e)));
  }, []);

  const load = useCallback((id: string) => {
    setKids((k) => ({ ...k, [id]: 'loading' }));
    am.children(id).then((p) => setKids((k) => ({ ...k, [id]: { items: p.items, pages: 1, more: p.more } })), (e) => setError(msg(e)));
  }, []);
  const more = (a: am.Asset) => {
    const have = kids[a.assetId];
    if (!have || have === 'loading') return;
    am.children(a.assetId, have.pages).then((p) => setKids((k) => ({
      ...k, [a.assetId]: { items: [...have.items, ...p.items], pages: have.pages + 1, more: p.more },
    })), (e) => setError(msg(e)));
  };
  useEffect(() => {
    am.root().then((r) => {
      setRoot(r);
      setSelected(r);
      setOpen(new Set([r.assetId]));
      load(r.assetId);
    }, (e) => setError(msg(e)));
    loadTypes();
    loadContracts();
  }, [load, loadTypes, loadContracts]);

  const toggle = (a: am.Asset) => setOpen((o) => {
    const next = new Set(o);
    if (next.delete(a.assetId)) return next;
    next.add(a.assetId);
    if (kids[a.assetId] === undefined) load(a.assetId);
    return next;
  });
  const select = (a: am.Asset) => {
    setSelected(a);
    am.asset(a.assetId).then(setSelected, (e) => setError(msg(e)));
  };
  const created = (a: am.Asset) => {
    const parent = a.parentId ?? '';
    setOpen((o) => new Set(o).add(parent));
    load(parent);
    setSelected(a);
  };
  const saved = (a: am.Asset) => {
    if (a.parentId) load(a.parentId);
    select(a);
  };
  const deleted = (a: am.Asset) => {
    if (a.parentId) load(a.parentId);
    setSelected(rootAsset);
  };

  return (
    <>
      <ErrorLine error={error} />
      <div className="split">
        <nav aria-label="Asset tree">
          <Search select={select} />
          {rootAsset ? (
            <ul className="tree" role="tree" aria-label="Assets" onKeyDown={onTreeKey}
              onFocus={(e) => { const id = e.target.closest('[role="treeitem"]')?.getAttribute('data-id'); if (id) setFocusId(id); }}>
              <Node asset={rootAsset} kids={kids} open={open} selected={selected?.assetId} toggle={toggle} select={select} more={more}
                tabbable={focusId && isShown(focusId, rootAsset.assetId, open, kids) ? focusId : rootAsset.assetId} />
            </ul>
          ) : <p className="muted">Loading…</p>}
        </nav>
        {view === 'contracts' ? (
          <div><Contracts types={types} list={contracts} reload={loadContracts} close={() => setView('assets')} /></div>
        ) : (
          <div>
            <ContractsCard count={contracts?.length} open={() => setView('contracts')} />
            {selected && <Details asset={selected} onDeleted={() => deleted(selected)} onSaved={saved} />}
            {selected && <NewAsset parent={selected} types={types} onCreated={created} />}
            <NewAspectType onCreated={(t) => setAspectTypes((ts) => [...ts, t].sort((x, y) => x.name.localeCompare(y.name)))} />
            <NewAssetType types={types} aspectTypes={aspectTypes} onCreated={(t) => setTypes((ts) => [...ts, t].sort((x, y) => x.name.localeCompare(y.name)))} />
            <Types types={types} aspectTypes={aspectTypes} changed={loadTypes} />
          </div>
        )}
      </div>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Asset Manager">{() => <AssetManager />}</Shell>);
