/**
 * The collaborative-document hook: `useDocument(id)`, on `@org/realtime-ot/client`.
 * @module @org/realtime-react/document
 */
export { useDocument, type DocumentSnapshot, type UseDocumentResult } from './use-document.js'
export type { ClientDocument, DocumentOptions, DocumentStatus, RemoteCursor } from '@org/realtime-ot/client'
