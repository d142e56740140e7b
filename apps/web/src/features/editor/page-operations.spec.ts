import { ZAppDefinition, type TAppDefinition } from '@bastion/contracts';
import { describe, expect, it } from 'vitest';
import {
  addPage,
  MAX_PAGES,
  movePage,
  nextPage,
  removePage,
  renamePage,
  withPageComponents,
} from './page-operations';

const def = (...ids: string[]): TAppDefinition => ({
  pages: ids.map((id) => ({ id, name: id, components: [] })),
});

describe('page operations', () => {
  it('names a new page after the first free number whose id and name are both unused', () => {
    expect(nextPage(def('page1').pages)).toEqual({ id: 'page2', name: 'Page 2', components: [] });
    // page2 was deleted and page3 exists: the count says 3, taken, so 4.
    expect(nextPage(def('page1', 'page3').pages).id).toBe('page4');
    const renamed = { pages: [{ id: 'home', name: 'Page 2', components: [] }] };
    expect(nextPage(renamed.pages)).toMatchObject({ id: 'page3', name: 'Page 3' });
    const { definition } = addPage(def('page1', 'page3'));
    expect(ZAppDefinition.safeParse(definition).success).toBe(true);
  });

  it('stops at the contract limit of pages', () => {
    const full = def(...Array.from({ length: MAX_PAGES }, (_, i) => `p${i}`));
    expect(addPage(full)).toEqual({ definition: full, page: null });
  });

  it('never removes the last page', () => {
    const one = def('page1');
    expect(removePage(one, 'page1')).toBe(one);
    expect(removePage(def('a', 'b'), 'a').pages.map((p) => p.id)).toEqual(['b']);
  });

  it('trims names and ignores blank ones', () => {
    expect(renamePage(def('a'), 'a', '  Orders ').pages[0].name).toBe('Orders');
    const d = def('a');
    expect(renamePage(d, 'a', '   ')).toBe(d);
  });

  it('moves pages, clamped to the ends', () => {
    const ids = (d: TAppDefinition) => d.pages.map((p) => p.id);
    expect(ids(movePage(def('a', 'b', 'c'), 'a', 1))).toEqual(['b', 'a', 'c']);
    expect(ids(movePage(def('a', 'b', 'c'), 'c', 1))).toEqual(['a', 'b', 'c']);
    expect(ids(movePage(def('a', 'b', 'c'), 'c', -1))).toEqual(['a', 'c', 'b']);
  });

  it('edits the components of one page only', () => {
    const c = { id: 'text1', type: 'text' as const, layout: { x: 0, y: 0, w: 1, h: 1 }, props: {} };
    const out = withPageComponents(def('a', 'b'), 'b', (cs) => [...cs, c]);
    expect(out.pages.map((p) => p.components.length)).toEqual([0, 1]);
  });
});
