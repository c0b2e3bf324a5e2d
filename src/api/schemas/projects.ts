/**
 * Skopio's `Project` wire shape.
 */
import { Type } from '#typebox'
import { Nullable, Uuid } from './common.ts'

export const Project = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    rootPath: Nullable(Type.String()),
    lastUpdated: Nullable(Type.Integer({ description: 'Unix seconds of the latest activity.' })),
  },
  { $id: 'Project', title: 'Project' },
)
