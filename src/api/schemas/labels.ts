/**
 * Wire shapes of labels: times are unix seconds, as the rest of the daemon API's analysis routes.
 */
import { type Static, Type } from '#typebox'
import { EARLIEST_MS } from '../../domain/events.ts'
import type { Label } from '../../domain/labels.ts'
import { Nullable, UnixSeconds } from './common.ts'

const LabelTime = (description: string) => UnixSeconds(description, EARLIEST_MS / 1000)

export const LabelBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 1000, description: 'What the stretch was.' }),
    startUtc: LabelTime('Start, unix seconds (from 1990).'),
    endUtc: LabelTime('End, unix seconds, not before the start.'),
    context: Type.Optional(
      Nullable(Type.String({ maxLength: 10_000, description: 'Free text: notes, a link.' })),
    ),
  },
  { additionalProperties: false },
)
export type LabelBody = Static<typeof LabelBody>

export const LabelPatch = Type.Partial(LabelBody, { additionalProperties: false, minProperties: 1 })

export const LabelWire = Type.Object(
  {
    id: Type.String(),
    text: Type.String(),
    context: Nullable(Type.String()),
    startUtc: Type.Number(),
    endUtc: Type.Number(),
    createdAt: Type.Number({ description: 'Unix seconds.' }),
    updatedAt: Type.Number({ description: 'Unix seconds.' }),
  },
  { $id: 'Label', title: 'Label' },
)

export function labelToWire(l: Label): Static<typeof LabelWire> {
  return {
    id: l.id,
    text: l.text,
    context: l.context,
    startUtc: l.startMs / 1000,
    endUtc: l.endMs / 1000,
    createdAt: Math.floor(l.createdMs / 1000),
    updatedAt: Math.floor(l.updatedMs / 1000),
  }
}
