/**
 * The query parameter by which a client says it reads frames in the answer to its open, after the
 * line with the session's id and key (`frames=1`). Clients without it get that line alone.
 */
export const FRAMES_IN_OPEN = 'frames'

/**
 * The query parameter by which a client says, at its open, that it reads frames in the answers to
 * its POSTs and orders the answers by the number each starts with (`answers=1`): see
 * `PollingSession`'s `numbered`.
 */
export const NUMBERED_ANSWERS = 'answers'
