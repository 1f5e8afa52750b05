/**
 * Asset Manager: the asset tree (children loaded when a node opens), an asset's details with its aspects and static
 * values, creating asset types and assets, deleting an asset. Asset Management API v3 only.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import * as am from './am-api';
import { appHost, tenantOfHost } from './api';
import { ErrorLine, Shell } from './shell';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Children of each opened node, by parent id; a changed parent is reloaded by dropping its entry. */
type Kids = Record<string, { items: am.Asset[]; pages: number; more: boolean } | 'loading'>;

function Node(props: { asset: am.Asset; kids: Kids; open: Set<string>; selected: string | undefined;
  toggle(a: am.Asset): void; select(a: am.Asset): void; more(a: am.Asset): void }) {
  const { asset: a, kids, open } = props;
  const isOpen = open.has(a.assetId);
  const list = kids[a.assetId];
  return (
    <li role="treeitem" aria-expanded={isOpen} aria-selected={props.selected === a.assetId}>
      <button type="button" className="toggle" aria-label={`${isOpen ? 'Close' : 'Open'} ${a.name}`} onClick={() => props.toggle(a)}>
        {isOpen ? '▾' : '▸'}
      </button>
      <button type="button" className="node" aria-current={props.selected === a.assetId} onClick={() => props.select(a)}>{a.name}</button>
      {isOpen && (
        <ul role="group">
          {list === 'loading' || list === undefined ? <li className="muted">Loading…</li>
            : list.items.length === 0 ? <li className="muted">No children</li>
            : list.items.map((c) => <Node key={c.assetId} {...props} asset={c} />)}
          {list !== 'loading' && list?.more && (
            <li><button type="button" className="node" onClick={() => props.more(a)}>More children…</button></li>
          )}
        </ul>
      )}
    </li>
  );
}

function Details(props: { asset: am.Asset; onDeleted(): void }) {
  const a = props.asset;
  const [aspects, setAspects] = useState<am.Aspect[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    setAspects(undefined);
    setConfirm(false);
    setError(undefined);
    am.aspects(a.assetId).then(setAspects, (e) => setError(msg(e)));
  }, [a.assetId]);
  const remove = async () => {
    try {
      await am.deleteAsset(a);
      props.onDeleted();
    } catch (e) {
      setError(msg(e));
    }
  };
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
      {a.variables && a.variables.length > 0 ? (
        <table><thead><tr><th>Variable</th><th>Value</th></tr></thead>
          <tbody>{a.variables.map((v) => <tr key={v.name}><td>{v.name}</td><td>{v.value ?? '—'}</td></tr>)}</tbody></table>
      ) : <p className="muted">No static values.</p>}
      <h3>Aspects</h3>
      {aspects === undefined ? <p className="muted">Loading…</p> : aspects.length === 0 ? <p className="muted">No aspects.</p> : aspects.map((asp) => (
        <div key={asp.name}>
          <strong>{asp.name}</strong> <span className="muted">({asp.aspectTypeId})</span>{' '}
          <a href={`${appHost('explorer')}?${new URLSearchParams({ asset: a.assetId, aspect: asp.name })}`}>Time series in the Explorer</a>
          <table><thead><tr><th>Variable</th><th>Type</th><th>Unit</th></tr></thead>
            <tbody>{asp.variables.map((v) => <tr key={v.name}><td>{v.name}</td><td>{v.dataType}</td><td>{v.unit ?? ''}</td></tr>)}</tbody></table>
        </div>
      ))}
      {a.parentId !== null && (
        <p>
          {confirm
            ? <><button type="button" className="danger" onClick={() => void remove()}>Delete {a.name} now</button>{' '}
              <button type="button" onClick={() => setConfirm(false)}>Keep it</button></>
            : <button type="button" className="danger" onClick={() => setConfirm(true)}>Delete asset</button>}
        </p>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

const DATA_TYPES = ['DOUBLE', 'INT', 'LONG', 'BOOLEAN', 'STRING', 'TIMESTAMP'];

function NewAspectType(props: { onCreated(t: am.AspectType): void }) {
  const tenant = tenantOfHost();
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = String(f.get('name') ?? '').trim();
    const dataType = String(f.get('dataType'));
    try {
      const { body } = await am.createAspectType(`${tenant}.${name}`, {
        name, category: f.get('category') === 'static' ? 'static' : 'dynamic', scope: 'private',
        variables: [{ name: String(f.get('variable') ?? '').trim(), dataType, unit: String(f.get('unit') ?? ''), searchable: true,
          qualityCode: true, ...(dataType === 'STRING' ? { length: 255 } : {}) }],
      });
      setError(undefined);
      (e.target as HTMLFormElement).reset();
      props.onCreated(body);
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="newaspect">
      <h2 id="newaspect">New aspect type</h2>
      <form className="inline" onSubmit={(e) => void submit(e)}>
        <label>Name ({tenant}.…)<input name="name" required pattern="[A-Za-z0-9_\-]+" /></label>
        <label>Category<select name="category" defaultValue="dynamic"><option value="dynamic">dynamic (time series)</option><option value="static">static</option></select></label>
        <label>Variable<input name="variable" required pattern="[A-Za-z0-9_]+" /></label>
        <label>Data type<select name="dataType" defaultValue="DOUBLE">{DATA_TYPES.map((t) => <option key={t}>{t}</option>)}</select></label>
        <label>Unit<input name="unit" size={6} /></label>
        <button type="submit" className="primary">Create aspect type</button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function NewAssetType(props: { onCreated(t: am.AssetType): void; types: am.AssetType[]; aspectTypes: am.AspectType[] }) {
  const tenant = tenantOfHost();
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = String(f.get('name') ?? '').trim();
    const variable = String(f.get('variable') ?? '').trim();
    const aspectTypeId = String(f.get('aspect') ?? '');
    const aspect = props.aspectTypes.find((t) => t.id === aspectTypeId);
    try {
      const { body } = await am.createAssetType(`${tenant}.${name}`, {
        name, parentTypeId: String(f.get('parent')),
        variables: variable ? [{ name: variable, dataType: 'STRING', length: 255 }] : [],
        ...(aspect ? { aspects: [{ name: aspect.name, aspectTypeId: aspect.id }] } : {}),
      });
      setError(undefined);
      (e.target as HTMLFormElement).reset();
      props.onCreated(body);
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="newtype">
      <h2 id="newtype">New asset type</h2>
      <form className="inline" onSubmit={(e) => void submit(e)}>
        <label>Name ({tenant}.…)<input name="name" required pattern="[A-Za-z0-9_\-]+" /></label>
        <label>Parent type
          <select name="parent" defaultValue="core.basicasset">
            {['core.basicasset', ...props.types.filter((t) => t.id.startsWith(`${tenant}.`)).map((t) => t.id)].map((id) => <option key={id}>{id}</option>)}
          </select>
        </label>
        <label>Static variable (optional)<input name="variable" pattern="[A-Za-z0-9_]+" /></label>
        <label>Aspect (optional)
          <select name="aspect" defaultValue="">
            <option value="">none</option>
            {props.aspectTypes.map((t) => <option key={t.id} value={t.id}>{t.name} ({t.id})</option>)}
          </select>
        </label>
        <button type="submit" className="primary">Create type</button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

function NewAsset(props: { parent: am.Asset; types: am.AssetType[]; onCreated(a: am.Asset): void }) {
  const [error, setError] = useState<string | undefined>();
  const usable = props.types.filter((t) => t.instantiable !== false && !t.id.startsWith('core.'));
  const [typeId, setTypeId] = useState('');
  const type = usable.find((t) => t.id === typeId) ?? usable[0];
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    // static values: the type's variables given a value (the others keep the type's default)
    const variables = (type?.variables ?? []).flatMap((v) => {
      const value = String(f.get(`var.${v.name}`) ?? '');
      return value === '' ? [] : [{ name: v.name, value }];
    });
    try {
      const { body } = await am.createAsset({ name: String(f.get('name') ?? '').trim(), typeId: type?.id ?? '', parentId: props.parent.assetId,
        ...(variables.length ? { variables } : {}) });
      setError(undefined);
      (e.target as HTMLFormElement).reset();
      props.onCreated(body);
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section className="panel" aria-labelledby="newasset">
      <h2 id="newasset">New asset under {props.parent.name}</h2>
      {usable.length === 0 ? <p className="muted">Create an asset type first.</p> : (
        <form className="inline" onSubmit={(e) => void submit(e)}>
          <label>Name<input name="name" required /></label>
          <label>Type
            <select name="type" value={type?.id ?? ''} onChange={(e) => setTypeId(e.target.value)}>
              {usable.map((t) => <option key={t.id} value={t.id}>{t.name} ({t.id})</option>)}
            </select>
          </label>
          {(type?.variables ?? []).map((v) => (
            <label key={`${type?.id}.${v.name}`}>{v.name} <span className="muted">({v.dataType})</span><input name={`var.${v.name}`} /></label>
          ))}
          <button type="submit" className="primary">Create asset</button>
        </form>
      )}
      <ErrorLine error={error} />
    </section>
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
  const [selected, setSelected] = useState<am.Asset | undefined>();
  const [types, setTypes] = useState<am.AssetType[]>([]);
  const [aspectTypes, setAspectTypes] = useState<am.AspectType[]>([]);
  const [error, setError] = useState<string | undefined>();

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
    am.assetTypes().then(setTypes, (e) => setError(msg(e)));
    am.aspectTypes().then(setAspectTypes, (e) => setError(msg(e)));
  }, [load]);

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
            <ul className="tree" role="tree">
              <Node asset={rootAsset} kids={kids} open={open} selected={selected?.assetId} toggle={toggle} select={select} more={more} />
            </ul>
          ) : <p className="muted">Loading…</p>}
        </nav>
        <div>
          {selected && <Details asset={selected} onDeleted={() => deleted(selected)} />}
          {selected && <NewAsset parent={selected} types={types} onCreated={created} />}
          <NewAspectType onCreated={(t) => setAspectTypes((ts) => [...ts, t].sort((x, y) => x.name.localeCompare(y.name)))} />
          <NewAssetType types={types} aspectTypes={aspectTypes} onCreated={(t) => setTypes((ts) => [...ts, t].sort((x, y) => x.name.localeCompare(y.name)))} />
        </div>
      </div>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<Shell title="Asset Manager">{() => <AssetManager />}</Shell>);
