/**
 * The server half of collaborative documents: the `documents()` plugin and its storage.
 * @module @org/realtime-ot/server
 */
export { documents, type Documents } from './server/documents.js'
export type { AuthorizeDocument, DocumentAction, DocumentsOptions } from './server/options.js'
export { memoryStorage, type DocumentStorage, type MaybePromise, type SnapshotRecord, type StoredDocument } from './server/storage.js'
export { DocumentErrorCode, type OpRecord } from './shared/protocol.js'
