import type { TAppDefinition, TComponent, TPage } from '@bastion/contracts';

/** The contract's limit on pages per app. */
export const MAX_PAGES = 50;

/**
 * A new empty page: id `pageN` and name `Page N` for the smallest N (from the page count + 1)
 * whose id and name are both free, so ids stay unique and match the contract's name pattern.
 */
export function nextPage(pages: readonly TPage[]): TPage {
  const ids = new Set(pages.map((p) => p.id));
  const names = new Set(pages.map((p) => p.name));
  for (let n = pages.length + 1; ; n++) {
    if (!ids.has(`page${n}`) && !names.has(`Page ${n}`)) {
      return { id: `page${n}`, name: `Page ${n}`, components: [] };
    }
  }
}

/** Appends a new page (see `nextPage`); returns the definition unchanged at `MAX_PAGES`. */
export function addPage(def: TAppDefinition): { definition: TAppDefinition; page: TPage | null } {
  if (def.pages.length >= MAX_PAGES) return { definition: def, page: null };
  const page = nextPage(def.pages);
  return { definition: { ...def, pages: [...def.pages, page] }, page };
}

/** Renames a page; a blank name (after trimming) or one over 120 characters is ignored. */
export function renamePage(def: TAppDefinition, pageId: string, name: string): TAppDefinition {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 120) return def;
  return { ...def, pages: def.pages.map((p) => (p.id === pageId ? { ...p, name: trimmed } : p)) };
}

/** Removes a page with its components; the last page is never removed (the contract needs one). */
export function removePage(def: TAppDefinition, pageId: string): TAppDefinition {
  if (def.pages.length <= 1) return def;
  return { ...def, pages: def.pages.filter((p) => p.id !== pageId) };
}

/** Moves a page by `delta` places (-1 earlier, 1 later), clamped to the ends. */
export function movePage(def: TAppDefinition, pageId: string, delta: number): TAppDefinition {
  const from = def.pages.findIndex((p) => p.id === pageId);
  if (from < 0) return def;
  const to = Math.max(0, Math.min(def.pages.length - 1, from + delta));
  if (to === from) return def;
  const pages = [...def.pages];
  const [moved] = pages.splice(from, 1);
  pages.splice(to, 0, moved);
  return { ...def, pages };
}

/** Applies `f` to the components of one page (the first page when the id is unknown). */
export function withPageComponents(
  def: TAppDefinition,
  pageId: string,
  f: (cs: TComponent[]) => TComponent[],
): TAppDefinition {
  const target = def.pages.some((p) => p.id === pageId) ? pageId : def.pages[0].id;
  return {
    ...def,
    pages: def.pages.map((p) => (p.id === target ? { ...p, components: f(p.components) } : p)),
  };
}

/** Applies `f` to the components of every page (renames and query deletions reach them all). */
export function withAllComponents(
  def: TAppDefinition,
  f: (cs: TComponent[]) => TComponent[],
): TAppDefinition {
  return { ...def, pages: def.pages.map((p) => ({ ...p, components: f(p.components) })) };
}

/**
 * Sets the layout of components on one page from `layouts` (by component id). Returns `def`
 * itself when no box changes, so a grid that reports its unchanged layout records no step.
 */
export function withLayouts(
  def: TAppDefinition,
  pageId: string,
  layouts: Record<string, TComponent['layout']>,
): TAppDefinition {
  const page = def.pages.find((p) => p.id === pageId) ?? def.pages[0];
  const same = (a: TComponent['layout'], b: TComponent['layout']) =>
    a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
  if (page.components.every((c) => !layouts[c.id] || same(layouts[c.id], c.layout))) return def;
  return withPageComponents(def, page.id, (cs) =>
    cs.map((c) =>
      layouts[c.id] && !same(layouts[c.id], c.layout) ? { ...c, layout: { ...layouts[c.id] } } : c,
    ),
  );
}
