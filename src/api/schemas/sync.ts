/**
 * Sync's wire: changes as they cross between a spoke and its hub (`src/domain/sync.ts`), pairing,
 * and a spoke's status.
 */
import { Type } from '#typebox'
import { Nullable, Uuid } from './common.ts'

const Ms = Type.Integer({ description: 'Epoch ms.' })
const Count = Type.Integer({ minimum: 0 })
const Version = Type.Integer({ minimum: 0, description: 'A hybrid-clock time.' })
const Name = Type.String({ maxLength: 10_000 })

const EventChange = Type.Object(
  {
    kind: Type.Literal('event'),
    op: Type.Literal('upsert'),
    id: Uuid,
    device: Uuid,
    startMs: Ms,
    endMs: Ms,
    durationSec: Nullable(Type.Number({ minimum: 0 })),
    category: Name,
    app: Name,
    entity: Name,
    entityType: Nullable(Name),
    project: Name,
    projectPath: Nullable(Name),
    branch: Nullable(Name),
    language: Nullable(Name),
    source: Type.String({ minLength: 1, maxLength: 200 }),
    version: Nullable(Version),
  },
  { additionalProperties: false },
)

const AfkChange = Type.Object(
  {
    kind: Type.Literal('afk'),
    op: Type.Literal('upsert'),
    id: Uuid,
    device: Uuid,
    startMs: Ms,
    endMs: Nullable(Ms),
    inferredEndMs: Nullable(Ms),
    durationSec: Nullable(Type.Number({ minimum: 0 })),
    source: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
  },
  { additionalProperties: false },
)

const InputChange = Type.Object(
  {
    kind: Type.Literal('input'),
    op: Type.Literal('upsert'),
    device: Uuid,
    bucketMs: Ms,
    source: Type.String({ minLength: 1, maxLength: 200 }),
    lc: Count,
    rc: Count,
    mc: Count,
    kp: Count,
    mm: Count,
    scroll: Count,
  },
  { additionalProperties: false },
)

const LabelChange = Type.Object(
  {
    kind: Type.Literal('label'),
    op: Type.Literal('upsert'),
    id: Uuid,
    text: Type.String({ maxLength: 10_000 }),
    context: Nullable(Type.String({ maxLength: 10_000 })),
    startMs: Ms,
    endMs: Ms,
    createdMs: Ms,
    updatedMs: Ms,
    version: Version,
  },
  { additionalProperties: false },
)

const SettingChange = Type.Object(
  {
    kind: Type.Literal('setting'),
    op: Type.Literal('upsert'),
    key: Type.String({ maxLength: 100 }),
    value: Type.Unknown(),
    version: Version,
  },
  { additionalProperties: false },
)

const DeviceChange = Type.Object(
  {
    kind: Type.Literal('device'),
    op: Type.Literal('upsert'),
    id: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    version: Version,
  },
  { additionalProperties: false },
)

const ScreenshotChange = Type.Object(
  {
    kind: Type.Literal('screenshot'),
    op: Type.Literal('upsert'),
    id: Uuid,
    device: Uuid,
    filename: Type.String({ maxLength: 100 }),
    atMs: Ms,
    app: Name,
    title: Name,
    url: Nullable(Name),
    bytes: Count,
    width: Count,
    height: Count,
    hash: Type.String({ maxLength: 64 }),
    text: Nullable(Type.String({ maxLength: 1_000_000 })),
    ocrMs: Nullable(Type.Number({ minimum: 0 })),
  },
  {
    additionalProperties: false,
    description: "A screenshot's index row (its image stays on its device).",
  },
)

const Tombstone = Type.Object(
  {
    kind: Type.Union([
      Type.Literal('event'),
      Type.Literal('afk'),
      Type.Literal('label'),
      Type.Literal('screenshot'),
    ]),
    op: Type.Literal('delete'),
    id: Uuid,
    device: Nullable(Uuid),
    startMs: Nullable(Ms),
    version: Nullable(Version),
  },
  { additionalProperties: false },
)

/** One change as sync carries it: the row as its sender now holds it, or its tombstone. */
export const SyncChangeWire = Type.Union(
  [
    EventChange,
    AfkChange,
    InputChange,
    LabelChange,
    SettingChange,
    DeviceChange,
    ScreenshotChange,
    Tombstone,
  ],
  { title: 'SyncChange' },
)

export const SyncBatchWire = Type.Object({
  devices: Type.Record(Uuid, Type.String({ minLength: 1, maxLength: 200 }), {
    description: 'The name of every device the changes mention, by id.',
  }),
  changes: Type.Array(SyncChangeWire),
})

export const PushBody = Type.Object({
  from: Type.Integer({
    minimum: 0,
    description: "The hub's acknowledged position, as last heard.",
  }),
  to: Type.Integer({
    minimum: 0,
    description: "The position in the device's feed this batch covers up to.",
  }),
  epoch: Type.Integer({ minimum: 0, description: "The device's run (see hello)." }),
  batch: SyncBatchWire,
})

export const PullQuery = Type.Object({
  after: Type.Integer({ minimum: 0 }),
  epoch: Type.Optional(
    Type.Integer({ minimum: 0, description: "The hub's run the cursor is from." }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 5_000 }),
  wait: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 0,
    description: 'Milliseconds to hold the request open while there is nothing new.',
  }),
})

export const PullPage = Type.Object({
  devices: Type.Record(Type.String(), Type.String()),
  changes: Type.Array(SyncChangeWire),
  next: Type.Integer({ description: 'Pass back as `after`.' }),
  last: Type.Integer({ description: "The hub's latest position." }),
  epoch: Type.Integer({ description: "The hub's run; pass back with `after`." }),
  startSeq: Type.Integer({ description: 'Where this run of the hub began.' }),
  after: Type.Integer({ description: 'Where this page was read from.' }),
})

export const DeviceRef = Type.Object({ id: Uuid, name: Type.String() })

export const JoinHubBody = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 100 }),
  device: Type.Object({ id: Uuid, name: Type.String({ minLength: 1, maxLength: 200 }) }),
  protocol: Type.Integer(),
})

export const JoinHubAnswer = Type.Object({
  token: Type.String({ description: 'Scope `sync`, bound to the device; shown once.' }),
  device: Type.Object({
    id: Uuid,
    name: Type.String(),
    version: Type.Integer({
      description:
        'The hybrid-clock version of the name the hub gave the device: the device takes the name ' +
        'as a synced change of this version, so a rename it makes later wins over it.',
    }),
  }),
  hub: DeviceRef,
  protocol: Type.Integer(),
})

export const HelloQuery = Type.Object({
  protocol: Type.Integer(),
  epoch: Type.Integer({ minimum: 0 }),
  startSeq: Type.Integer({ minimum: 0 }),
})

export const HelloAnswer = Type.Object({
  protocol: Type.Integer(),
  hub: DeviceRef,
  device: DeviceRef,
  pushedSeq: Type.Integer({ description: "Where the device's pushes continue." }),
  epoch: Type.Integer(),
  startSeq: Type.Integer(),
})

export const PairBody = Type.Object({
  name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'The name the device will have.' }),
  ),
  expires: Type.Optional(
    Type.String({
      pattern: '^[0-9]+[smhd]$',
      description: 'Lifetime, e.g. 10m (default), 1h, 2d.',
    }),
  ),
})

export const PairingCodeWire = Type.Object({
  url: Type.String(),
  code: Type.String({ description: '80 random bits, 16 characters in groups of four.' }),
  fingerprint: Nullable(Type.String({ description: "SHA256:… of the hub's certificate." })),
  expiresAt: Type.String(),
  command: Type.String({ description: 'The one command to run on the new device.' }),
})

export const SyncClientWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  deviceId: Uuid,
  pairedAt: Type.String(),
  lastSeenAt: Nullable(Type.String({ description: 'Its latest request to the hub.' })),
  pushedSeq: Type.Integer({
    description: "How far the hub holds the device's own changes (a position in its feed).",
  }),
  pulledSeq: Nullable(
    Type.Integer({
      description:
        "How far the device has read the hub's changes (compare `lastSeq`), as of its latest " +
        'pull in this run of the hub; null before it.',
    }),
  ),
  revoked: Type.Boolean(),
})

export const RevokeBody = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  purge: Type.Optional(
    Type.Boolean({ description: "Also delete the device's events and AFK periods." }),
  ),
})

export const SyncStatusWire = Type.Object({
  role: Type.Union([Type.Literal('spoke'), Type.Literal('hub'), Type.Literal('none')]),
  hub: Nullable(Type.String()),
  state: Type.Union([
    Type.Literal('synced'),
    Type.Literal('syncing'),
    Type.Literal('offline'),
    Type.Literal('refused'),
    Type.Literal('unpaired'),
    Type.Literal('hub'),
  ]),
  pushedSeq: Type.Integer(),
  pulledSeq: Type.Integer(),
  pending: Type.Integer(),
  lastPushAt: Nullable(Type.String()),
  lastPullAt: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
})

export const JoinBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000 }),
  code: Type.String({ minLength: 1, maxLength: 100 }),
  fingerprint: Type.Optional(Type.String({ maxLength: 200 })),
})

/** Largest request body of the small sync routes. */
export const SYNC_BODY_LIMIT = 16 * 1024
/** Largest push, decompressed. */
export const PUSH_BODY_LIMIT = 64 * 1024 * 1024
