import { readFileSync } from 'node:fs'
import { AuditLogger, createMemorySink, REDACTED_MARKER, verifyLog, type AuditEvent } from 'auditrail'
import { describe, expect, test } from 'vitest'
import { tempDir } from './support/temp-dir.js'

/** Secrets no file, sink or subscriber may ever hold in clear. */
const SECRETS = ['tok-AAAA-1111', 'hunter2', 'sk-live-ZZZZ', 'nested-secret-9']

function details(): Record<string, unknown> {
  return {
    query_text: 'SELECT * FROM samples',
    token: 'tok-AAAA-1111',
    auth: { user: 'alice', password: 'hunter2' },
    services: [{ name: 'mlflow', api_key: 'sk-live-ZZZZ' }, { name: 'wandb' }],
    deep: { a: { b: { token: 'nested-secret-9' } } },
    password_hint: 'not a password key',
  }
}

describe.each(['json', 'csv', 'none'] as const)('redact (%s)', (format) => {
  test('matched keys never reach the file, another sink, or events$', () => {
    const dir = tempDir()
    const extra = createMemorySink()
    const logger = new AuditLogger(dir, 'redact', { format, sinks: [extra], redact: ['token', 'api_key', 'auth.password'], integrity: 'sha256-chain' })
    const seen: AuditEvent[] = []
    logger.events$.subscribe((event) => seen.push(event))
    const input = details()
    const returned = logger.logEvent('query_execute', 'success', input)
    const expected = {
      query_text: 'SELECT * FROM samples',
      token: REDACTED_MARKER,
      auth: { user: 'alice', password: REDACTED_MARKER },
      services: [{ name: 'mlflow', api_key: REDACTED_MARKER }, { name: 'wandb' }],
      deep: { a: { b: { token: REDACTED_MARKER } } },
      password_hint: 'not a password key',
    }
    expect(returned.details).toEqual(expected)
    expect(seen.map((e) => e.details)).toEqual([expected])
    expect(extra.events.map((e) => e.details)).toEqual([expected])
    // The caller's object is left as it was.
    expect(input).toEqual(details())
    if (format !== 'none') {
      expect([...logger.readEvents()].map((e) => e.details)).toEqual([expected])
      const raw = readFileSync(logger.logPath as string, 'utf8')
      for (const secret of SECRETS) expect(raw).not.toContain(secret)
      // The chain covers what was stored: the redacted details.
      expect(verifyLog(logger.logPath as string).ok).toBe(true)
    }
    logger.close()
  })

  test('with an HMAC key, equal secrets give equal digests and no clear text', () => {
    const dir = tempDir()
    const logger = new AuditLogger(dir, 'redact', { format, redact: { keys: ['token'], replaceWith: { hmacKey: 'audit-key' } } })
    const first = logger.logEvent('query_execute', 'success', { token: 'tok-AAAA-1111' })
    const second = logger.logEvent('query_execute', 'success', { nested: { token: 'tok-AAAA-1111' } })
    const third = logger.logEvent('query_execute', 'success', { token: 'other' })
    const digest = first.details['token'] as string
    expect(digest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/)
    expect((second.details['nested'] as Record<string, unknown>)['token']).toBe(digest)
    expect(third.details['token']).not.toBe(digest)
    if (format !== 'none') expect(readFileSync(logger.logPath as string, 'utf8')).not.toContain('tok-AAAA-1111')
    logger.close()
  })
})

test('a bad redact option is refused before anything is created', () => {
  const dir = `${tempDir()}/never`
  expect(() => new AuditLogger(dir, 'x', { redact: ['ok', ''] })).toThrow(/redact\[1\]/)
})
