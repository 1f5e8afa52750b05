/**
 * In-process change notifications of the asset model (the ModelEvents port of core/model.ts, Asset Management API v3, roles).
 * Events are emitted after the change is committed; a failing listener is logged and never fails the request.
 */
import type { Logger } from 'pino';
import type { ModelEvent, ModelEvents, ModelListener } from '../core/model.js';

export class ModelEventBus implements ModelEvents {
  private readonly listeners = new Set<ModelListener>();
  constructor(private readonly logger: Logger) {}

  on(listener: ModelListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async emit(event: ModelEvent): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        await listener(event);
      } catch (err) {
        this.logger.error({ err, event }, 'asset model listener failed');
      }
    }
  }
}
