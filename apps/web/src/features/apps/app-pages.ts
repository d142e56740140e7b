import type { TAppDefinition, TComponent, TPage } from '@bastion/contracts';

/**
 * Pages of an app definition, as both the editor and the viewer read them. The binding scope
 * spans the whole app (component ids are unique across pages); a page only chooses what renders.
 */

/** The page with this id, or the first page when the id is missing or unknown. */
export function pageOrFirst(def: TAppDefinition, pageId: string | null | undefined): TPage {
  return def.pages.find((p) => p.id === pageId) ?? def.pages[0];
}

/** Every component of every page, in page order: what bindings and queries can read. */
export function allComponents(def: TAppDefinition): TComponent[] {
  return def.pages.flatMap((p) => p.components);
}
