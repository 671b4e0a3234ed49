import type { Category, Menu, MenuItem } from '../../core/menu'

export interface Section {
  category: Category
  items: MenuItem[]
}

/** Categories in menu order with their dishes; dishes of an unknown category go last under 其他. */
export function sections(menu: Menu): Section[] {
  const bySort = <T extends { sort: number }>(a: T, b: T) => a.sort - b.sort
  const known = new Set(menu.categories.map((c) => c.id))
  const out: Section[] = [...menu.categories].sort(bySort).map((category) => ({
    category,
    items: menu.items.filter((i) => i.categoryId === category.id).sort(bySort),
  }))
  const orphans = menu.items.filter((i) => !known.has(i.categoryId))
  if (orphans.length)
    out.push({ category: { id: '_other', name: '其他', sort: 1e9 }, items: orphans.sort(bySort) })
  return out.filter((s) => s.items.length > 0)
}
