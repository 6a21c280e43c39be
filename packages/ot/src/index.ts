/**
 * Collaborative plain-text documents with operational transformation: the text type and what
 * the server and client halves share. The server plugin is `@org/realtime-ot/server`, the client
 * document `@org/realtime-ot/client`.
 * @module @org/realtime-ot
 */
export {
  DEFAULT_TEXT_OP_LIMITS,
  TextSnapshot,
  checkOp,
  codePointLength,
  deleteOp,
  insertOp,
  invert,
  normalize,
  replaceOp,
  snapshotFromString,
  snapshotToString,
  textType,
  type Side,
  type TextComponent,
  type TextDelete,
  type TextOp,
  type TextOpLimits,
  type TextSelection,
  type TextType,
} from './text/index.js'
export { diffOp } from './shared/diff.js'
export {
  DOCUMENT_NAMESPACE,
  DocumentErrorCode,
  DocumentEvent,
  MAX_DOCUMENT_ID_LENGTH,
  channelOf,
  type CursorMessage,
  type CursorRequest,
  type OpRecord,
  type OpenAnswer,
  type OpenRequest,
  type RefusedMessage,
  type SubmitAnswer,
  type SubmitRequest,
} from './shared/protocol.js'
