/**
 * Okabe and Ito's eight colours: told apart under every common colour-vision deficiency, on light
 * and dark backgrounds alike. The stylesheet names the same colours as classes `c0`…`c7`.
 */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#999999',
] as const

/** The colour slot of a name: stable for a given ordered list of names. */
export function colourIndex(names: readonly string[], name: string): number {
  const i = names.indexOf(name)
  return i < 0 ? PALETTE.length - 1 : Math.min(i, PALETTE.length - 1)
}
