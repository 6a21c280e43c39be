/**
 * How every server under test listens: on loopback, with an accept queue long enough for the
 * connect storm's 2,000 simultaneous connections. With Node's default of 511, most of them
 * overflow the queue and wait a second for the kernel to retry, and connections/s measures that
 * timer rather than the server. Capped by `net.core.somaxconn` and `tcp_max_syn_backlog`.
 */
export const listenOptions = { host: '127.0.0.1', backlog: 2048 }
