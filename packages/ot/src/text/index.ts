/**
 * The plain-text OT type: ops, snapshots and the functions on them.
 * @module
 */
export { textType, type Applied, type TextType } from './type.js'
export { TextSnapshot, snapshotFromString, snapshotToString } from './snapshot.js'
export {
  type TextComponent,
  type TextDelete,
  type TextOp,
  invert,
  normalize,
  opBaseLength,
  opLengthChange,
} from './op.js'
export { compose } from './compose.js'
export { transform, transformPosition, transformSelection, type Side, type TextSelection } from './transform.js'
export { checkOp, DEFAULT_TEXT_OP_LIMITS, type TextOpLimits } from './check.js'
export { insertOp, deleteOp, replaceOp } from './helpers.js'
export { codePointLength } from './unicode.js'
