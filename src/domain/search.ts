import type { ActivityEvent } from './events.ts'
import type { Label } from './labels.ts'

/** One search hit: an event and the active seconds it owned, or a label and its active time. */
export type SearchHit =
  | { type: 'event'; event: ActivityEvent; activeSeconds: number }
  | { type: 'label'; label: Label; activeSeconds: number }
