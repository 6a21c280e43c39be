// The site's table of contents: the index page lists these, in this order. A guide that is not
// written yet is listed in `missing` by the build (and fails its test), not silently dropped.
export const gettingStarted = { file: 'docs/getting-started.md', title: 'Getting started' }

export const guides = [
  { topic: 'Rooms and channels', file: 'docs/rooms-and-channels.md' },
  { topic: 'Transports', file: 'docs/transports.md' },
  { topic: 'Delivery guarantees', file: 'docs/delivery-guarantees.md' },
  { topic: 'Limits and security', file: 'docs/security.md' },
  { topic: 'Presence', file: 'docs/presence.md' },
  { topic: 'Collaborative editing', file: 'docs/collaborative-editing.md' },
  { topic: 'The text type', file: 'docs/ot-type.md' },
  { topic: 'Database changes', file: 'docs/database-changes.md' },
  { topic: 'Scaling out', file: 'docs/scaling.md' },
  { topic: 'React', file: 'docs/react.md' },
  { topic: 'Plugins', file: 'docs/plugins.md' },
]

export const reference = [
  { topic: 'Protocol', file: 'docs/protocol.md' },
  { topic: 'Errors and close codes', file: 'docs/errors.md' },
]
