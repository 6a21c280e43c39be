/** An LSN (`16/B374D848`) as a number that orders like it. */
export function lsnValue(lsn: string | null | undefined): bigint {
  if (lsn === null || lsn === undefined) return 0n
  const [high, low] = lsn.split('/') as [string, string | undefined]
  if (low === undefined) return 0n
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`)
}
