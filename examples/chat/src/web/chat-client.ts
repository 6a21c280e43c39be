import type { DefaultEvents, RealtimeClient } from '@org/realtime-client'
import { useRealtime } from '@org/realtime-react'
import type { ChatClientEvents } from '../events.js'

/** The chat's client: `emit` and `emitWithAck` typed by the chat's events. */
export type ChatClient = RealtimeClient<DefaultEvents, ChatClientEvents>

/** The provider's client, typed for the chat. */
export function useChatClient(): ChatClient {
  return useRealtime().client as unknown as ChatClient
}
