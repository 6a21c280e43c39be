import { fileURLToPath } from 'node:url'
import { ErrorCode } from '@org/realtime-core'
import { afterEach, describe, expect, it } from 'vitest'
import { runScript, type ChildScript } from '../../../test/child-process.js'
import { connectedClient, until } from '../../../test/support.js'

const fixture = fileURLToPath(new URL('./fixtures/failing-handler-server.ts', import.meta.url))

describe('the default logger', () => {
  let child: ChildScript | undefined

  afterEach(() => {
    child?.process.kill('SIGKILL')
    child = undefined
  })

  /** Runs the fixture, makes its handler throw once, and returns what the process printed. */
  async function outputAfterAFailure(mode: string[]): Promise<string> {
    child = await runScript(fixture, mode)
    const port = Number((await child.line(/^ready \d+$/)).split(' ')[1])
    const client = await connectedClient(`http://127.0.0.1:${port}/realtime`)
    await expect(client.emitWithAck('boom')).rejects.toMatchObject({ code: ErrorCode.HandlerError })
    await client.emitWithAck('flush')
    const running = child
    await until(() => running.output().includes('flushed'), 5000, 'the flush line')
    return running.output()
  }

  it('writes a handler that throws to standard error, with its stack, while the client gets HANDLER_ERROR', async () => {
    const output = await outputAfterAFailure([])
    expect(output).toMatch(/\[realtime\] error: event handler threw/)
    expect(output).toMatch(/TypeError: the handler broke\n\s+at /)
  })

  it('writes nothing with logger: false', async () => {
    const output = await outputAfterAFailure(['silent'])
    expect(output.trim().split('\n').sort()).toEqual(['flushed', expect.stringMatching(/^ready \d+$/)])
  })
})
