// Menu shaping for display: price labels, option rules, dish tiles.
import type { MenuItem, OptionGroup } from '../../core/menu'
import { formatFen } from '../../core/money'

/** "¥12.00" or "¥12.00起" when specs differ in price. */
export function priceLabel(item: MenuItem): string {
  const prices = item.skus.map((s) => s.priceFen)
  const min = Math.min(...prices)
  return prices.some((p) => p !== min) ? `${formatFen(min)}起` : formatFen(min)
}

/** The lowest member price, when it beats the lowest list price shown next to it. */
export function memberLabel(item: MenuItem): string | null {
  const list = Math.min(...item.skus.map((s) => s.priceFen))
  const member = Math.min(...item.skus.map((s) => Math.min(s.memberPriceFen ?? s.priceFen, s.priceFen)))
  return member < list ? formatFen(member) : null
}

/** One tap adds it: a single spec and nothing to choose. */
export const isSimple = (item: MenuItem): boolean => item.skus.length === 1 && item.optionGroups.length === 0

export function ruleText(g: OptionGroup): string {
  if (g.min === g.max) return `必选${g.min}项`
  if (g.min === 0) return g.max === 1 ? '可选' : `可选，最多${g.max}项`
  return `选${g.min}-${g.max}项`
}

/** Initial choice: the first option of every group that requires exactly one. */
export function defaultOptions(item: MenuItem): string[] {
  return item.optionGroups.filter((g) => g.min === 1 && g.max === 1).map((g) => g.options[0]!.id)
}

/** Tapping an option: radio within max 1, checkbox up to max otherwise. */
export function toggleOption(g: OptionGroup, chosen: string[], optionId: string): string[] {
  const inGroup = new Set(g.options.map((o) => o.id))
  const picked = chosen.filter((id) => inGroup.has(id))
  const others = chosen.filter((id) => !inGroup.has(id))
  if (picked.includes(optionId)) {
    if (g.max === 1 && g.min === 1) return chosen
    return chosen.filter((id) => id !== optionId)
  }
  if (g.max === 1) return [...others, optionId]
  return picked.length < g.max ? [...chosen, optionId] : chosen
}

/** The first group whose minimum is not met, for the hint next to a disabled add button. */
export function missingGroup(item: MenuItem, chosen: string[]): OptionGroup | undefined {
  return item.optionGroups.find((g) => g.options.filter((o) => chosen.includes(o.id)).length < g.min)
}

const HUES = [12, 28, 42, 150, 190, 210, 260, 330]

/** A stable warm colour per dish for its letter tile (no images: nothing loads from the network). */
export function tileHue(id: string): number {
  let h = 0
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return HUES[h % HUES.length]!
}
