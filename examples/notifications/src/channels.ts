/** The channel of `user`'s notifications: the server sends there, the user's pages subscribe. */
export const channelOf = (user: string): string => `notifications:${user}`
