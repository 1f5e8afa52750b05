/**
 * The CSDL XML document (OASIS CSDL XML 4.0, `edmx:Edmx Version="4.0"`) of a model: the service's `$metadata`
 * and the contract's download. Every entity set carries the Capabilities annotations Mendix reads and a generated
 * client needs (OData Capabilities vocabulary): countable, $top and $skip supported, the non-filterable and
 * non-sortable properties, not insertable, updatable or deletable; the container says POST {set}/$query is served.
 */
import type { EdmModel, EdmSet } from './edm.js';

const CORE = 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml';
const CAPABILITIES = 'https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml';
export const CONTAINER = 'Container';

const esc = (v: string): string =>
  v.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);

function entityType(ns: string, s: EdmSet): string {
  const lines = [`      <EntityType Name="${esc(s.name)}"${s.folder !== undefined ? ' HasStream="true"' : ''}>`, '        <Key>',
    ...s.key.map((k) => `          <PropertyRef Name="${esc(k)}"/>`), '        </Key>'];
  for (const p of s.properties) {
    lines.push(`        <Property Name="${esc(p.name)}" Type="${p.type}"${p.nullable ? '' : ' Nullable="false"'}`
      + `${p.maxLength !== undefined ? ` MaxLength="${p.maxLength}"` : ''}/>`);
  }
  for (const n of s.navs) {
    const type = `${ns}.${n.target}`;
    lines.push(`        <NavigationProperty Name="${esc(n.name)}" Type="${n.collection ? `Collection(${esc(type)})` : esc(type)}"`
      + `${!n.collection && !n.nullable ? ' Nullable="false"' : ''} Partner="${esc(n.partner)}"/>`);
  }
  lines.push('      </EntityType>');
  return lines.join('\n');
}

const bool = (term: string, value: boolean) => `        <Annotation Term="Capabilities.${term}" Bool="${value}"/>`;
const record = (term: string, props: string[]) =>
  [`        <Annotation Term="Capabilities.${term}">`, '          <Record>', ...props.map((p) => `            ${p}`),
    '          </Record>', '        </Annotation>'].join('\n');
const paths = (property: string, names: string[]) => names.length === 0
  ? `<PropertyValue Property="${property}"><Collection/></PropertyValue>`
  : `<PropertyValue Property="${property}"><Collection>${names.map((n) => `<PropertyPath>${esc(n)}</PropertyPath>`).join('')}</Collection></PropertyValue>`;

function annotations(ns: string, s: EdmSet): string {
  return [
    `      <Annotations Target="${esc(`${ns}.${CONTAINER}/${s.name}`)}">`,
    `        <Annotation Term="Core.Description" String="${esc(s.rules)}"/>`,
    record('CountRestrictions', ['<PropertyValue Property="Countable" Bool="true"/>']),
    bool('TopSupported', true),
    bool('SkipSupported', true),
    record('FilterRestrictions', ['<PropertyValue Property="Filterable" Bool="true"/>',
      paths('NonFilterableProperties', s.properties.filter((p) => !p.filterable).map((p) => p.name))]),
    record('SortRestrictions', ['<PropertyValue Property="Sortable" Bool="true"/>',
      paths('NonSortableProperties', s.properties.filter((p) => !p.sortable).map((p) => p.name))]),
    record('InsertRestrictions', ['<PropertyValue Property="Insertable" Bool="false"/>']),
    record('UpdateRestrictions', ['<PropertyValue Property="Updatable" Bool="false"/>']),
    record('DeleteRestrictions', ['<PropertyValue Property="Deletable" Bool="false"/>']),
    '      </Annotations>',
  ].join('\n');
}

export function renderCsdl(model: EdmModel): string {
  const ns = model.namespace;
  const sets = model.sets.map((s) => {
    const bindings = s.navs.map((n) => `          <NavigationPropertyBinding Path="${esc(n.name)}" Target="${esc(n.target)}"/>`);
    return bindings.length === 0
      ? `        <EntitySet Name="${esc(s.name)}" EntityType="${esc(`${ns}.${s.name}`)}"/>`
      : [`        <EntitySet Name="${esc(s.name)}" EntityType="${esc(`${ns}.${s.name}`)}">`, ...bindings, '        </EntitySet>'].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    `  <edmx:Reference Uri="${CORE}">`, '    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>', '  </edmx:Reference>',
    `  <edmx:Reference Uri="${CAPABILITIES}">`, '    <edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>', '  </edmx:Reference>',
    '  <edmx:DataServices>',
    `    <Schema Namespace="${esc(ns)}" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
    ...model.sets.map((s) => entityType(ns, s)),
    `      <EntityContainer Name="${CONTAINER}">`,
    ...sets,
    '      </EntityContainer>',
    `      <Annotations Target="${esc(`${ns}.${CONTAINER}`)}">`,
    bool('QuerySegmentSupported', true),
    '      </Annotations>',
    ...model.sets.map((s) => annotations(ns, s)),
    '    </Schema>',
    '  </edmx:DataServices>',
    '</edmx:Edmx>',
    '',
  ].join('\n');
}
