// Modules of the reader's app that the docs import (see prelude.d.ts): a script, not a module, so
// these are ambient module declarations.
declare module '@/lib/realtime' {
  export const rt: import('@org/realtime-server').RealtimeServer
}
