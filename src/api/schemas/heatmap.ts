/**
 * `GET /v1/input/heatmap`: keyboard and mouse counts per local weekday and hour.
 */
import { type Static, Type } from '#typebox'
import { FilterParams, PresetParam, Timestamp, TimeZoneParam } from './common.ts'

export const HeatmapQuery = Type.Object({
  start: Type.Optional(Type.String({ description: 'RFC 3339; with end, instead of preset.' })),
  end: Type.Optional(Type.String({ description: 'RFC 3339, exclusive; with start.' })),
  preset: Type.Optional(PresetParam),
  tz: Type.Optional(TimeZoneParam),
  devices: FilterParams.devices,
})
export type HeatmapQuery = Static<typeof HeatmapQuery>

const Count = (description: string) => Type.Integer({ minimum: 0, description })

export const HeatmapCell = Type.Object({
  weekday: Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday: Monday = 1.' }),
  hour: Type.Integer({ minimum: 0, maximum: 23, description: 'Local clock hour.' }),
  keys: Count('Key presses.'),
  clicks: Count('Left, right and middle clicks.'),
  moves: Count('Mouse motion events.'),
  scrolls: Count('Scroll steps.'),
})

export const Heatmap = Type.Object({
  tz: Type.String({ description: 'The zone the cells are in.' }),
  start: Timestamp,
  end: Timestamp,
  cells: Type.Array(HeatmapCell, {
    description:
      'Only cells with input, by weekday then hour. Each 5-minute bucket counts in the local ' +
      'weekday and hour it starts in.',
  }),
})
