/**
 * The aspect and asset types one tenant sees (its own and the shared core ones) and the type-chain rules of
 * Asset Management API v3, "Asset types": a type inherits the aspects, variables (with their defaults) and file
 * assignments of its ancestors, a child's file assignment of a key overriding its parent's. The one place the
 * exploded view of a type is built.
 */
import type { AspectMember, AspectTypeRecord, AssetTypeRecord, AssetTypeView, ExplodedMember } from './records.js';
import { CORE_TENANT } from './records.js';
import { CORE_ASPECT_TYPES, CORE_ASSET_TYPES } from './seed.js';

/** Aspect and asset types visible to a tenant (its own plus the core ones), loaded once per operation. */
export class TypeCatalog {
  readonly aspectTypes = new Map<string, AspectTypeRecord>();
  readonly assetTypes = new Map<string, AssetTypeRecord>();
  private readonly lower = new Map<string, string>();
  private readonly views = new Map<string, AssetTypeView | undefined>();

  constructor(aspectTypes: AspectTypeRecord[], assetTypes: AssetTypeRecord[]) {
    for (const t of [...CORE_ASPECT_TYPES, ...aspectTypes]) this.aspectTypes.set(t.id, t);
    for (const t of [...CORE_ASSET_TYPES, ...assetTypes]) this.assetTypes.set(t.id, t);
    // Core ids are matched case-insensitively: the SDK's own tests use core.BasicAsset.
    for (const t of [...CORE_ASPECT_TYPES, ...CORE_ASSET_TYPES]) this.lower.set(t.id.toLowerCase(), t.id);
  }

  resolveId(id: string): string {
    return id.toLowerCase().startsWith(`${CORE_TENANT}.`) ? this.lower.get(id.toLowerCase()) ?? id : id;
  }
  assetType(id: string): AssetTypeRecord | undefined {
    return this.assetTypes.get(this.resolveId(id));
  }
  aspectType(id: string): AspectTypeRecord | undefined {
    return this.aspectTypes.get(this.resolveId(id));
  }

  /** Root ancestor first, the type itself last. */
  chain(id: string): AssetTypeRecord[] {
    const out: AssetTypeRecord[] = [];
    const seen = new Set<string>();
    let t = this.assetType(id);
    while (t && !seen.has(t.id)) {
      seen.add(t.id);
      out.unshift(t);
      t = t.parentTypeId ? this.assetType(t.parentTypeId) : undefined;
    }
    return out;
  }

  /** Records a type written during this operation. */
  put(t: AssetTypeRecord): void {
    this.assetTypes.set(t.id, t);
    this.views.clear();
  }

  /** The members of the type and all its ancestors (undefined for an unknown type). */
  exploded(id: string): AssetTypeView | undefined {
    const key = this.resolveId(id);
    if (!this.views.has(key)) this.views.set(key, this.assetType(key) ? this.view(this.chain(key)) : undefined);
    return this.views.get(key);
  }

  /** The type as the API shows it: its own members, or with `exploded` those of its whole chain. */
  typeView(t: AssetTypeRecord, exploded: boolean): AssetTypeView {
    return exploded ? this.exploded(t.id) ?? this.view([t]) : this.view([t]);
  }

  /** Merges a type chain (root ancestor first); an aspect whose aspect type is unknown is left out. */
  private view(chain: AssetTypeRecord[]): AssetTypeView {
    const aspects: ExplodedMember<AspectMember>[] = [];
    const variables: AssetTypeView['variables'] = [];
    const files = new Map<string, AssetTypeView['fileAssignments'][number]>();
    for (const t of chain) {
      for (const a of t.aspects) {
        const aspectType = this.aspectType(a.aspectTypeId);
        if (aspectType) aspects.push({ member: { name: a.name, aspectType }, origin: t.id });
      }
      for (const v of t.variables) variables.push({ member: v, origin: t.id });
      for (const f of t.fileAssignments) files.set(f.key, { member: f, origin: t.id });
    }
    return { type: chain[chain.length - 1]!, aspects, variables, fileAssignments: [...files.values()] };
  }

  /** The type and every type derived from it (hasType, Asset Management API v3, filter parameter). */
  family(id: string): string[] {
    const root = this.resolveId(id);
    return [...this.assetTypes.values()].filter((t) => this.chain(t.id).some((a) => a.id === root)).map((t) => t.id);
  }

  /** Types that derive from `id`, directly or not. */
  descendants(id: string): AssetTypeRecord[] {
    return [...this.assetTypes.values()].filter((t) => t.id !== id && this.chain(t.id).some((a) => a.id === id));
  }
}
