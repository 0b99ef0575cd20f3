/** The DPO thinks in Paris calendar days: the timeline's « du » and « au » are such days (YYYY-MM-DD). */

/** A real calendar day: Date.parse would turn 2026-02-30 into 2 March. */
export function isCalendarDay(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Midnight in Paris of a YYYY-MM-DD date, as epoch ms. */
export function parisDayStartMs(day: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`)
  // Paris is UTC+1 or UTC+2: find the offset at that instant and correct once (DST days are fine at midnight).
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(utcMidnight))
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? '0')
  return utcMidnight - hour * 3_600_000
}

/** The calendar day after a YYYY-MM-DD date ("au" is inclusive: up to the next midnight in Paris). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}
