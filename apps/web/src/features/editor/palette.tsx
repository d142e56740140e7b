import type { TComponentType } from '@bastion/contracts';
import { COMPONENT_KINDS } from '../apps/component-catalog';

/**
 * The component palette. Click (or Enter) adds the component below the others; dragging it onto
 * the canvas places it where it is dropped.
 */
export function Palette({
  onAdd,
  onDragType,
}: {
  onAdd: (type: TComponentType) => void;
  onDragType: (type: TComponentType | null) => void;
}) {
  return (
    <aside className="palette" aria-label="Components">
      <h2>Components</h2>
      <ul>
        {COMPONENT_KINDS.map((k) => (
          <li key={k.type}>
            <button
              type="button"
              className="palette-item"
              draggable
              // Firefox needs data on the drag for it to start.
              onDragStart={(e) => {
                e.dataTransfer.setData('text/plain', k.type);
                onDragType(k.type);
              }}
              onDragEnd={() => onDragType(null)}
              onClick={() => onAdd(k.type)}
              aria-label={`Add ${k.label}`}
            >
              {k.label}
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
