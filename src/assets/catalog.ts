/** The aspect and asset types one tenant sees (its own and the shared core ones) and the type-chain queries. */
import type { AspectTypeRecord, AssetTypeRecord, ExplodedType } from './model.js';
import { CORE_TENANT, explode } from './model.js';
import { CORE_ASPECT_TYPES, CORE_ASSET_TYPES } from './seed.js';

/** Aspect and asset types visible to a tenant (its own plus the core ones), loaded once per operation. */
export class TypeCatalog {
  readonly aspectTypes = new Map<string, AspectTypeRecord>();
  readonly assetTypes = new Map<string, AssetTypeRecord>();
  private readonly lower = new Map<string, string>();
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
  private readonly explodedCache = new Map<string, ExplodedType | undefined>();
  /** Records a type written during this operation. */
  put(t: AssetTypeRecord): void {
    this.assetTypes.set(t.id, t);
    this.explodedCache.clear();
  }
  exploded(id: string): ExplodedType | undefined {
    if (!this.explodedCache.has(id)) this.explodedCache.set(id, this.assetType(id) ? explode(this.chain(id)) : undefined);
    return this.explodedCache.get(id);
  }
  /** The type and every type derived from it (hasType, reference §1.6). */
  family(id: string): string[] {
    const root = this.resolveId(id);
    return [...this.assetTypes.values()].filter((t) => this.chain(t.id).some((a) => a.id === root)).map((t) => t.id);
  }
}
