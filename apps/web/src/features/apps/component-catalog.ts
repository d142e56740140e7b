import type { TComponent, TComponentType } from '@bastion/contracts';

/** How the property panel edits one prop. Every prop may hold `{{ }}` bindings unless `literal`. */
export interface PropSpec {
  name: string;
  label: string;
  kind: 'text' | 'binding' | 'select' | 'boolean';
  options?: string[];
  help?: string;
}

export interface ComponentKind {
  type: TComponentType;
  label: string;
  /** Prefix of generated ids: `input` -> `input1`, `input2`. */
  prefix: string;
  size: { w: number; h: number };
  defaults: Record<string, string | number | boolean | null>;
  props: PropSpec[];
  /** Events the component can fire. */
  events: ('click' | 'success')[];
}

/** The palette, in display order. Grid: 12 columns, rows of 40 px. */
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  {
    type: 'table',
    label: 'Table',
    prefix: 'table',
    size: { w: 8, h: 6 },
    defaults: { data: '', columns: '', pageSize: '', defaultSort: '', search: 'show' },
    props: [
      {
        name: 'data',
        label: 'Data',
        kind: 'binding',
        help: 'A list of rows, e.g. {{ query1.data }}',
      },
      { name: 'columns', label: 'Columns', kind: 'text', help: 'Comma-separated; empty shows all' },
      {
        name: 'pageSize',
        label: 'Rows per page',
        kind: 'binding',
        help: 'Empty or 0 scrolls all rows; a number pages them',
      },
      {
        name: 'defaultSort',
        label: 'Sort by',
        kind: 'text',
        help: 'A column, optionally followed by desc, e.g. created_at desc',
      },
      { name: 'search', label: 'Search box', kind: 'select', options: ['show', 'hide'] },
    ],
    events: [],
  },
  {
    type: 'text',
    label: 'Text',
    prefix: 'text',
    size: { w: 4, h: 1 },
    defaults: { text: 'Text' },
    props: [
      { name: 'text', label: 'Text', kind: 'binding', help: 'e.g. Rows: {{ query1.rowCount }}' },
    ],
    events: [],
  },
  {
    type: 'textInput',
    label: 'Text input',
    prefix: 'input',
    size: { w: 4, h: 2 },
    defaults: { label: 'Label', placeholder: '', defaultValue: '' },
    props: [
      { name: 'label', label: 'Label', kind: 'binding' },
      { name: 'placeholder', label: 'Placeholder', kind: 'binding' },
      { name: 'defaultValue', label: 'Default value', kind: 'binding' },
    ],
    events: [],
  },
  {
    type: 'numberInput',
    label: 'Number input',
    prefix: 'number',
    size: { w: 3, h: 2 },
    defaults: { label: 'Number', defaultValue: '', min: '', max: '' },
    props: [
      { name: 'label', label: 'Label', kind: 'binding' },
      { name: 'defaultValue', label: 'Default value', kind: 'binding' },
      { name: 'min', label: 'Minimum', kind: 'binding' },
      { name: 'max', label: 'Maximum', kind: 'binding' },
    ],
    events: [],
  },
  {
    type: 'select',
    label: 'Select',
    prefix: 'select',
    size: { w: 4, h: 2 },
    defaults: { label: 'Choose', options: 'One, Two, Three', defaultValue: '' },
    props: [
      { name: 'label', label: 'Label', kind: 'binding' },
      {
        name: 'options',
        label: 'Options',
        kind: 'binding',
        help: 'Comma-separated, or a list such as {{ query1.data }}',
      },
      {
        name: 'optionField',
        label: 'Option field',
        kind: 'text',
        help: 'Column to show for row lists',
      },
      { name: 'defaultValue', label: 'Default value', kind: 'binding' },
    ],
    events: [],
  },
  {
    type: 'button',
    label: 'Button',
    prefix: 'button',
    size: { w: 2, h: 1 },
    defaults: { label: 'Run', disabled: '' },
    props: [
      { name: 'label', label: 'Label', kind: 'binding' },
      {
        name: 'disabled',
        label: 'Disabled when',
        kind: 'binding',
        help: 'e.g. {{ !input1.value }}',
      },
    ],
    events: ['click', 'success'],
  },
  {
    type: 'chart',
    label: 'Chart',
    prefix: 'chart',
    size: { w: 6, h: 6 },
    defaults: { data: '', x: '', y: '', kind: 'bar', title: '' },
    props: [
      { name: 'title', label: 'Title', kind: 'binding' },
      {
        name: 'data',
        label: 'Data',
        kind: 'binding',
        help: 'A list of rows, e.g. {{ query1.data }}',
      },
      { name: 'x', label: 'Label column', kind: 'text' },
      { name: 'y', label: 'Value column', kind: 'text' },
      { name: 'kind', label: 'Kind', kind: 'select', options: ['bar', 'line'] },
    ],
    events: [],
  },
];

export function kindOf(type: TComponentType): ComponentKind {
  const k = COMPONENT_KINDS.find((c) => c.type === type);
  if (!k) throw new Error(`Unknown component type ${type}`);
  return k;
}

/** The next free id for a type (`input1`, `input2`...), unique across the app and its queries. */
export function nextId(type: TComponentType, taken: Iterable<string>): string {
  const set = new Set(taken);
  const prefix = kindOf(type).prefix;
  for (let n = 1; ; n++) if (!set.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

/** A new component of the type at the given grid cell (or below everything). */
export function newComponent(
  type: TComponentType,
  existing: TComponent[],
  taken: Iterable<string>,
  at?: { x: number; y: number },
): TComponent {
  const kind = kindOf(type);
  const bottom = existing.reduce((m, c) => Math.max(m, c.layout.y + c.layout.h), 0);
  return {
    id: nextId(type, taken),
    type,
    layout: { x: at?.x ?? 0, y: at?.y ?? bottom, w: kind.size.w, h: kind.size.h },
    props: { ...kind.defaults },
    events: [],
  };
}
