/**
 * `GET /v1/devices` and `PUT /v1/devices/:id`: the devices activity is recorded on. The daemon's
 * own device is created once (named after the host); a batch that names another creates it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '#typebox'
import { formatTimestamp } from '../../domain/calendar.ts'
import type { DeviceRow } from '../../store/ports.ts'
import { Nullable, Uuid } from '../schemas/common.ts'
import { errorResponses } from '../schemas/responses.ts'

export const Device = Type.Object({
  id: Uuid,
  name: Type.String(),
  own: Type.Boolean({ description: "The daemon's own device." }),
  lastSeen: Nullable(
    Type.String({ description: 'RFC 3339: the latest event end or input on it.' }),
  ),
  events: Type.Integer({ description: 'Events stored for it.' }),
})

export function toDevice(d: DeviceRow) {
  return {
    id: d.id,
    name: d.name,
    own: d.own,
    lastSeen: d.lastSeenMs === null ? null : formatTimestamp(d.lastSeenMs),
    events: d.events,
  }
}

export const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/devices',
    {
      config: { access: 'read' },
      schema: {
        summary: "Devices, the daemon's own first",
        tags: ['devices'],
        response: { 200: Type.Array(Device), ...errorResponses(401, 403) },
      },
    },
    async (request) => (await request.daybook.devices.list()).map(toDevice),
  )

  app.put(
    '/devices/:id',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Rename a device',
        tags: ['devices'],
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: { 200: Device, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
      },
    },
    async (request) => {
      return toDevice(
        await request.daybook.devices.rename(request.params.id.toLowerCase(), request.body.name),
      )
    },
  )
}
