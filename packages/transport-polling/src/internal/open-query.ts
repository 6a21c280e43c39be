/**
 * The query parameter by which a client says it reads frames in the answer to its open, after the
 * line with the session's id and key (`frames=1`). Clients without it get that line alone.
 */
export const FRAMES_IN_OPEN = 'frames'
