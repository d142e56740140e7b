import type { TComponent } from '@bastion/contracts';

/**
 * How one component edit appears in the undo history: `label` for "Undo <label>", and `key`
 * for coalescing (edits of the same field of the same component in quick succession, e.g.
 * typing in a property, or holding an arrow key, become one step). Events have no key: each
 * choice of a query is its own step.
 */
export function describeEdit(
  before: TComponent | undefined,
  next: TComponent,
): { label: string; key?: string } {
  const id = next.id;
  if (!before) return { label: `edit ${id}` };
  const props = [...new Set([...Object.keys(before.props), ...Object.keys(next.props)])].filter(
    (k) => before.props[k] !== next.props[k],
  );
  if (props.length > 0) {
    return { label: `edit ${id}.${props[0]}`, key: `${id}:props:${props.sort().join(',')}` };
  }
  const a = before.layout;
  const b = next.layout;
  if (a.w !== b.w || a.h !== b.h) return { label: `resize ${id}`, key: `${id}:resize` };
  if (a.x !== b.x || a.y !== b.y) return { label: `move ${id}`, key: `${id}:move` };
  return { label: `edit ${id}` };
}

/** The label of a drag or resize on the grid: "move table1", "resize table1", "move 3 components". */
export function layoutLabel(
  components: readonly TComponent[],
  layouts: Record<string, TComponent['layout']>,
): string {
  const changed = components.filter((c) => {
    const l = layouts[c.id];
    return (
      l && (l.x !== c.layout.x || l.y !== c.layout.y || l.w !== c.layout.w || l.h !== c.layout.h)
    );
  });
  if (changed.length !== 1) return `move ${changed.length} components`;
  const c = changed[0];
  const l = layouts[c.id];
  return l.w !== c.layout.w || l.h !== c.layout.h ? `resize ${c.id}` : `move ${c.id}`;
}
