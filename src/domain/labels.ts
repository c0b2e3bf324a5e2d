/** A note on a stretch of time. Times are epoch ms. */
export interface Label {
  id: string
  text: string
  context: string | null
  startMs: number
  endMs: number
  createdMs: number
  updatedMs: number
}

/** What a client gives to create a label (or, partly, to change one). */
export type NewLabel = Pick<Label, 'text' | 'context' | 'startMs' | 'endMs'>
