/**
 * Keyboard use of the Asset Manager tree, after the WAI-ARIA Authoring Practices' tree view pattern: one node is in
 * the Tab order (roving tabindex), Up/Down move between the visible nodes, Right opens a closed node or moves to its
 * first child, Left closes an open node or moves to its parent, Home/End go to the first/last visible node; Enter
 * and Space keep the buttons' own meaning (select). Works on the rendered DOM, so it follows whatever is open.
 */
import type { KeyboardEvent } from 'react';

/** The node's own button of a tree item (not its toggle, not a nested item's). */
const nodeButton = (item: Element | null | undefined) => item?.querySelector<HTMLElement>(':scope > button.node') ?? null;

export function onTreeKey(e: KeyboardEvent<HTMLElement>): void {
  const tree = e.currentTarget;
  const target = e.target as HTMLElement;
  const item = target.closest('[role="treeitem"]');
  if (!item || !tree.contains(item)) return;
  // every focusable row in document order is the visible order: closed nodes render no children
  const rows = [...tree.querySelectorAll<HTMLElement>('button.node')];
  const own = nodeButton(item);
  const at = rows.indexOf(target === item.querySelector(':scope > button.toggle') ? own ?? target : target);
  const expanded = item.getAttribute('aria-expanded') === 'true';
  const onOwnRow = target.parentElement === item;
  let next: HTMLElement | null | undefined;
  switch (e.key) {
    case 'ArrowDown': next = rows[at + 1]; break;
    case 'ArrowUp': next = rows[at - 1]; break;
    case 'Home': next = rows[0]; break;
    case 'End': next = rows[rows.length - 1]; break;
    case 'ArrowRight':
      if (!onOwnRow) return;
      if (!expanded) item.querySelector<HTMLElement>(':scope > button.toggle')?.click();
      else next = item.querySelector<HTMLElement>(':scope > [role="group"] button.node');
      break;
    case 'ArrowLeft':
      // on a "More children…" row: back to the node whose children it extends
      if (!onOwnRow) next = own;
      else if (expanded) item.querySelector<HTMLElement>(':scope > button.toggle')?.click();
      else next = nodeButton(item.parentElement?.closest('[role="treeitem"]'));
      break;
    default: return;
  }
  e.preventDefault();
  next?.focus();
}

/** Whether the node is rendered: the root, or a loaded child of a rendered open node. */
export function isShown(id: string, rootId: string, open: ReadonlySet<string>,
  kids: Record<string, { items: { assetId: string }[] } | 'loading'>): boolean {
  const walk = (at: string): boolean => {
    if (at === id) return true;
    const list = open.has(at) ? kids[at] : undefined;
    return list !== undefined && list !== 'loading' && list.items.some((c) => walk(c.assetId));
  };
  return walk(rootId);
}
