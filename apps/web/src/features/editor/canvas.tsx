import type { TComponent, TComponentType } from '@bastion/contracts';
import { useMemo } from 'react';
import GridLayout, { WidthProvider, type Layout } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import type { AppRuntime } from '../apps/app-runtime';
import { AppWidget } from '../apps/app-widget';
import { kindOf } from '../apps/component-catalog';

const Grid = WidthProvider(GridLayout);

export const GRID_COLS = 12;
export const ROW_HEIGHT = 40;

function layoutsOf(next: Layout[]): Record<string, TComponent['layout']> {
  const out: Record<string, TComponent['layout']> = {};
  for (const l of next) {
    if (l.i === '__dropping__') continue;
    out[l.i] = { x: l.x, y: l.y, w: l.w, h: l.h };
  }
  return out;
}

/**
 * The editor canvas: components on a 12-column grid (react-grid-layout). Drag by the title bar,
 * resize by the corner; with a component selected, arrow keys move it and Shift+arrows resize.
 * Components stay live, so the builder can type into inputs and click buttons while editing.
 *
 * Selecting: a press anywhere on a component selects it and still reaches the widget (a
 * button clicks, an input focuses, a table scrolls), as in Retool. Keyboard: each component
 * is a tab stop with a focus ring and the name "<Kind> <id>"; focusing it selects it and Enter
 * calls `onEdit` (the editor moves focus to the property panel).
 * `onLayout(layouts, 'user')` is a finished drag or resize (an undo step); `'sync'` is the
 * grid reporting its layout (on mount, or after pushing items aside), which is not a step.
 */
export function Canvas({
  components,
  selectedId,
  onSelect,
  onLayout,
  onEdit,
  onDropNew,
  draggingType,
  runtime,
}: {
  components: TComponent[];
  selectedId: string | null;
  onSelect: (id: string | null) => void;
  onLayout: (layouts: Record<string, TComponent['layout']>, reason: 'user' | 'sync') => void;
  onEdit: (id: string) => void;
  onDropNew: (type: TComponentType, at: { x: number; y: number }) => void;
  draggingType: TComponentType | null;
  runtime: AppRuntime;
}) {
  const layout: Layout[] = useMemo(
    () => components.map((c) => ({ i: c.id, ...c.layout, minW: 1, minH: 1 })),
    [components],
  );
  const dropping = draggingType ? kindOf(draggingType).size : { w: 2, h: 2 };
  return (
    <div
      className="canvas"
      onClick={(e) => {
        if (e.target === e.currentTarget) onSelect(null);
      }}
    >
      {components.length === 0 && (
        <p className="canvas-empty muted">
          Drag a component here, or click one in the palette to add it.
        </p>
      )}
      <Grid
        className="canvas-grid"
        layout={layout}
        cols={GRID_COLS}
        rowHeight={ROW_HEIGHT}
        margin={[8, 8]}
        containerPadding={[8, 22]}
        compactType={null}
        preventCollision={false}
        draggableHandle=".drag-handle"
        isDroppable
        droppingItem={{ i: '__dropping__', ...dropping }}
        onDrop={(_l, item) => {
          if (draggingType && item) onDropNew(draggingType, { x: item.x, y: item.y });
        }}
        onDragStop={(next) => onLayout(layoutsOf(next), 'user')}
        onResizeStop={(next) => onLayout(layoutsOf(next), 'user')}
        onLayoutChange={(next) => onLayout(layoutsOf(next), 'sync')}
      >
        {components.map((c) => (
          <div
            key={c.id}
            className={`canvas-item${c.id === selectedId ? ' selected' : ''}`}
            data-component={c.id}
            role="group"
            tabIndex={0}
            aria-label={`${kindOf(c.type).label} ${c.id}`}
            aria-current={c.id === selectedId ? 'true' : undefined}
            // Capture phase: react-grid-layout replaces the item's onMouseDown with its own.
            onPointerDownCapture={() => onSelect(c.id)}
            onFocus={() => onSelect(c.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && e.target === e.currentTarget) {
                e.preventDefault();
                onEdit(c.id);
              }
            }}
          >
            <div className="drag-handle" title="Drag to move">
              <button
                type="button"
                className="item-name"
                tabIndex={-1}
                aria-pressed={c.id === selectedId}
                aria-label={`Select ${c.id}`}
                onClick={() => onSelect(c.id)}
              >
                {c.id}
              </button>
            </div>
            <div className="canvas-item-body">
              <AppWidget component={c} runtime={runtime} />
            </div>
          </div>
        ))}
      </Grid>
    </div>
  );
}
