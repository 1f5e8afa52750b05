/**
 * Asset Manager, types: create, edit and delete aspect types and asset types (Asset Management API v3 aspecttypes,
 * assettypes), and an asset type's exploded view with the aspects and variables it inherits marked with the type
 * they come from.
 */
import { useEffect, useState } from 'react';
import * as am from './am-api';
import { tenantOfHost } from './api';
import { field, FormPanel, msg } from './forms';
import { ErrorLine } from './shell';

export const DATA_TYPES = ['DOUBLE', 'INT', 'LONG', 'BOOLEAN', 'STRING', 'TIMESTAMP'];
const NAME = '[A-Za-z0-9_\\-]+';
const VAR = '[A-Za-z0-9_]+';

/** A variable from the fields `variable`, `dataType`, `unit` (none when `variable` is empty). */
function variableOf(f: FormData): (am.Variable & { searchable: boolean; qualityCode: boolean }) | undefined {
  const name = field(f, 'variable');
  if (!name) return undefined;
  const dataType = String(f.get('dataType') ?? 'DOUBLE');
  return { name, dataType, unit: field(f, 'unit'), searchable: true, qualityCode: true, ...(dataType === 'STRING' ? { length: 255 } : {}) };
}

function VariableFields(props: { required?: boolean; label?: string }) {
  return <>
    <label>{props.label ?? 'Variable'}<input name="variable" required={props.required} pattern={VAR} /></label>
    <label>Data type<select name="dataType" defaultValue="DOUBLE">{DATA_TYPES.map((t) => <option key={t}>{t}</option>)}</select></label>
    <label>Unit<input name="unit" size={6} /></label>
  </>;
}

export function NewAspectType(props: { onCreated(t: am.AspectType): void }) {
  const tenant = tenantOfHost();
  return (
    <FormPanel title="New aspect type" submit="Create aspect type" onSubmit={async (f) => {
      const name = field(f, 'name');
      const { body } = await am.createAspectType(`${tenant}.${name}`, {
        name, category: f.get('category') === 'static' ? 'static' : 'dynamic', scope: 'private', variables: [variableOf(f)!],
      });
      props.onCreated(body);
    }}>
      <label>Name ({tenant}.…)<input name="name" required pattern={NAME} /></label>
      <label>Category<select name="category" defaultValue="dynamic"><option value="dynamic">dynamic (time series)</option><option value="static">static</option></select></label>
      <VariableFields required />
    </FormPanel>
  );
}

export function NewAssetType(props: { onCreated(t: am.AssetType): void; types: am.AssetType[]; aspectTypes: am.AspectType[] }) {
  const tenant = tenantOfHost();
  return (
    <FormPanel title="New asset type" submit="Create type" onSubmit={async (f) => {
      const name = field(f, 'name');
      const variable = field(f, 'variable');
      const aspect = props.aspectTypes.find((t) => t.id === field(f, 'aspect'));
      const { body } = await am.createAssetType(`${tenant}.${name}`, {
        name, parentTypeId: field(f, 'parent'),
        variables: variable ? [{ name: variable, dataType: 'STRING', length: 255 }] : [],
        ...(aspect ? { aspects: [{ name: aspect.name, aspectTypeId: aspect.id }] } : {}),
      });
      props.onCreated(body);
    }}>
      <label>Name ({tenant}.…)<input name="name" required pattern={NAME} /></label>
      <label>Parent type
        <select name="parent" defaultValue="core.basicasset">
          {['core.basicasset', ...props.types.filter((t) => t.id.startsWith(`${tenant}.`)).map((t) => t.id)].map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
      </label>
      <label>Static variable (optional)<input name="variable" pattern={VAR} /></label>
      <AspectSelect aspectTypes={props.aspectTypes} />
    </FormPanel>
  );
}

function AspectSelect(props: { aspectTypes: am.AspectType[] }) {
  return (
    <label>Aspect (optional)
      <select name="aspect" defaultValue="">
        <option value="">none</option>
        {props.aspectTypes.map((t) => <option key={t.id} value={t.id}>{t.name} ({t.id})</option>)}
      </select>
    </label>
  );
}

/** Deletes a type after a second click; the API's message (a type still in use) shows under the button. */
function DeleteType(props: { what: string; name: string; remove(): Promise<unknown>; onDeleted(): void }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | undefined>();
  return (
    <>
      <p className="actions">{confirm
        ? <><button type="button" className="danger" onClick={() => props.remove().then(props.onDeleted, (e) => setError(msg(e)))}>Delete {props.name} now</button>
          <button type="button" onClick={() => setConfirm(false)}>Keep it</button></>
        : <button type="button" className="danger" onClick={() => setConfirm(true)}>Delete {props.what}</button>}</p>
      <ErrorLine error={error} />
    </>
  );
}

/** Edits an aspect type: its description and one more variable (existing variables stay as they are). */
function EditAspectType(props: { id: string; onSaved(t: am.AspectType): void; onDeleted(): void }) {
  const [t, setT] = useState<Awaited<ReturnType<typeof am.aspectType>> | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => { am.aspectType(props.id).then(setT, (e) => setError(msg(e))); }, [props.id]);
  if (!t) return <><ErrorLine error={error} />{!error && <p className="muted">Loading…</p>}</>;
  return (
    <FormPanel title={`Edit aspect type ${t.name}`} submit="Save aspect type" reset={false} testId="edit-aspect-type" onSubmit={async (f) => {
      const added = variableOf(f);
      const { body } = await am.updateAspectType(t.id, t.etag, { name: t.name, category: t.category, scope: 'private',
        description: field(f, 'description'), variables: [...t.variables, ...(added ? [added] : [])] });
      setT(await am.aspectType(t.id));
      props.onSaved(body);
    }} extra={<>
      <table><caption className="muted">Variables of {t.id} ({t.category})</caption>
        <thead><tr><th>Variable</th><th>Type</th><th>Unit</th></tr></thead>
        <tbody>{t.variables.map((v) => <tr key={v.name}><td>{v.name}</td><td>{v.dataType}</td><td>{v.unit ?? ''}</td></tr>)}</tbody></table>
      <DeleteType what="aspect type" name={t.name} remove={() => am.deleteAspectType(t.id, t.etag)} onDeleted={props.onDeleted} /></>
    }>
      <label>Description<input name="description" defaultValue={t.description ?? ''} /></label>
      <VariableFields label="Add variable (optional)" />
    </FormPanel>
  );
}

/** An asset type as its assets get it: own and inherited members (inherited ones marked), and its edit form. */
function EditAssetType(props: { id: string; aspectTypes: am.AspectType[]; onSaved(t: am.AssetType): void; onDeleted(): void }) {
  const [t, setT] = useState<am.ExplodedType | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => { am.explodedType(props.id).then(setT, (e) => setError(msg(e))); }, [props.id]);
  if (!t) return <><ErrorLine error={error} />{!error && <p className="muted">Loading…</p>}</>;
  const own = { aspects: t.aspects.filter((a) => !am.originOf(a)), variables: t.variables.filter((v) => !am.originOf(v)) };
  const from = (m: Parameters<typeof am.originOf>[0]) => {
    const o = am.originOf(m);
    return o ? <span className="badge" data-testid="inherited">inherited from {o}</span> : <span className="muted">own</span>;
  };
  const editable = !t.id.startsWith('core.');
  return (
    <section className="panel" aria-label={`Asset type ${t.name}`} data-testid="type-view">
      <h2>Asset type {t.name}</h2>
      <dl className="props"><dt>ID</dt><dd>{t.id}</dd><dt>Parent</dt><dd>{t.parentTypeId ?? '—'}</dd>
        {t.description && <><dt>Description</dt><dd>{t.description}</dd></>}</dl>
      <h3>Aspects</h3>
      {t.aspects.length === 0 ? <p className="muted">No aspects.</p> : (
        <table><thead><tr><th>Aspect</th><th>Aspect type</th><th>Category</th><th>From</th></tr></thead>
          <tbody>{t.aspects.map((a) => <tr key={a.name}><td>{a.name}</td><td>{a.aspectType.id}</td><td>{a.aspectType.category}</td><td>{from(a)}</td></tr>)}</tbody></table>
      )}
      <h3>Variables</h3>
      {t.variables.length === 0 ? <p className="muted">No variables.</p> : (
        <table><thead><tr><th>Variable</th><th>Type</th><th>Default</th><th>From</th></tr></thead>
          <tbody>{t.variables.map((v) => <tr key={v.name}><td>{v.name}</td><td>{v.dataType}</td><td>{v.defaultValue ?? ''}</td><td>{from(v)}</td></tr>)}</tbody></table>
      )}
      {editable && (
        <FormPanel title={`Edit asset type ${t.name}`} submit="Save asset type" reset={false} testId="edit-asset-type" onSubmit={async (f) => {
          const variable = field(f, 'variable');
          const aspect = props.aspectTypes.find((x) => x.id === field(f, 'aspect'));
          const { body } = await am.updateAssetType(t.id, t.etag, {
            name: t.name, parentTypeId: t.parentTypeId ?? 'core.basicasset', description: field(f, 'description'),
            variables: [...own.variables.map(({ _links, ...v }) => v), ...(variable ? [{ name: variable, dataType: 'STRING', length: 255 }] : [])],
            aspects: [...own.aspects.map((a) => ({ name: a.name, aspectTypeId: a.aspectType.id })),
              ...(aspect ? [{ name: field(f, 'aspectName') || aspect.name, aspectTypeId: aspect.id }] : [])],
          });
          setT(await am.explodedType(t.id));
          props.onSaved(body);
        }}>
          <label>Description<input name="description" defaultValue={t.description ?? ''} /></label>
          <label>Add static variable<input name="variable" pattern={VAR} /></label>
          <AspectSelect aspectTypes={props.aspectTypes} />
          <label>Aspect name<input name="aspectName" pattern={VAR} placeholder="as the aspect type" /></label>
        </FormPanel>
      )}
      {editable && <DeleteType what="asset type" name={t.name} remove={() => am.deleteAssetType(t.id, t.etag)} onDeleted={props.onDeleted} />}
    </section>
  );
}

/** The tenant's aspect and asset types, each opening its view, edit form and delete button. */
export function Types(props: { types: am.AssetType[]; aspectTypes: am.AspectType[]; changed(): void }) {
  const [open, setOpen] = useState<{ kind: 'aspect' | 'asset'; id: string } | undefined>();
  const tenant = tenantOfHost();
  const mine = <T extends { id: string }>(list: T[]) => list.filter((t) => t.id.startsWith(`${tenant}.`));
  const deleted = () => { setOpen(undefined); props.changed(); };
  return (
    <section className="panel" aria-labelledby="types">
      <h2 id="types">Types</h2>
      <div className="columns">
        <div><h3>Aspect types</h3>
          {mine(props.aspectTypes).length === 0 ? <p className="muted">None yet.</p> : <ul className="plain">
            {mine(props.aspectTypes).map((t) => <li key={t.id}><button type="button" className="link" aria-pressed={open?.id === t.id}
              onClick={() => setOpen({ kind: 'aspect', id: t.id })}>{t.name}</button> <span className="muted">{t.category}</span></li>)}</ul>}
        </div>
        <div><h3>Asset types</h3>
          {mine(props.types).length === 0 ? <p className="muted">None yet.</p> : <ul className="plain">
            {mine(props.types).map((t) => <li key={t.id}><button type="button" className="link" aria-pressed={open?.id === t.id}
              onClick={() => setOpen({ kind: 'asset', id: t.id })}>{t.name}</button> <span className="muted">from {t.parentTypeId}</span></li>)}</ul>}
        </div>
      </div>
      {open?.kind === 'aspect' && <EditAspectType key={open.id} id={open.id} onSaved={props.changed} onDeleted={deleted} />}
      {open?.kind === 'asset' && <EditAssetType key={open.id} id={open.id} aspectTypes={props.aspectTypes} onSaved={props.changed} onDeleted={deleted} />}
    </section>
  );
}
