/** Local time, French public holidays and French words for dates and durations, for the anomaly rules. */

export const MINUTE_MS = 60_000

export type LocalTime = { date: string; year: number; weekday: number; hour: number; minute: number }

const partsFormatters = new Map<string, Intl.DateTimeFormat>()
const dateFormatters = new Map<string, Intl.DateTimeFormat>()

function cached({ cache, timeZone, create }: { cache: Map<string, Intl.DateTimeFormat>; timeZone: string; create: () => Intl.DateTimeFormat }): Intl.DateTimeFormat {
  let formatter = cache.get(timeZone)
  if (!formatter) {
    formatter = create()
    cache.set(timeZone, formatter)
  }
  return formatter
}

/** Wall-clock time in `timeZone` (Intl applies the DST rules of that zone). */
export function localTime({ atMs, timeZone }: { atMs: number; timeZone: string }): LocalTime {
  const formatter = cached({
    cache: partsFormatters,
    timeZone,
    create: () => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }),
  })
  const parts = Object.fromEntries(formatter.formatToParts(atMs).map((part) => [part.type, part.value]))
  const year = Number(parts.year)
  const month = Number(parts.month)
  const day = Number(parts.day)
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    year,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  }
}

function isoDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10)
}

/** Easter Sunday, anonymous Gregorian algorithm (Meeus/Jones/Butcher), as UTC midnight. */
function easterSunday(year: number): number {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  const day = ((h + l - 7 * m + 114) % 31) + 1
  return Date.UTC(year, month - 1, day)
}

const holidayCache = new Map<number, readonly string[]>()

/** The 11 French public holidays (metropolitan law) of `year`, sorted 'YYYY-MM-DD', without duplicates. */
export function frenchPublicHolidays(year: number): string[] {
  if (!Number.isInteger(year)) throw new RangeError(`année entière attendue / integer year expected (got ${year})`)
  return [...holidaysOf(year)]
}

export function holidaysOf(year: number): readonly string[] {
  const known = holidayCache.get(year)
  if (known) return known
  const easter = easterSunday(year)
  const day = 24 * 60 * MINUTE_MS
  const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((monthDay) => `${String(year).padStart(4, '0')}-${monthDay}`)
  const movable = [easter + day, easter + 39 * day, easter + 50 * day].map(isoDate)
  // Ascension can fall on 1 or 8 May (2008): one day off, listed once.
  const holidays = [...new Set([...fixed, ...movable])].sort()
  holidayCache.set(year, holidays)
  return holidays
}

export function formatFrenchDate({ atMs, timeZone }: { atMs: number; timeZone: string }): string {
  const formatter = cached({
    cache: dateFormatters,
    timeZone,
    create: () => new Intl.DateTimeFormat('fr-FR', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
  })
  // French writes the first of the month as an ordinal: "1er novembre".
  return formatter
    .formatToParts(atMs)
    .map((part) => (part.type === 'day' && part.value === '1' ? '1er' : part.value))
    .join('')
}

export function formatClock({ hour, minute }: { hour: number; minute: number }): string {
  return `${hour} h ${String(minute).padStart(2, '0')}`
}

export function timeZoneLabel(timeZone: string): string {
  if (/^(Etc\/)?(UTC|GMT|UCT|Zulu)$/i.test(timeZone)) return 'UTC'
  return `heure de ${(timeZone.split('/').at(-1) ?? timeZone).replaceAll('_', ' ')}`
}

/** "moins d'une minute", "42 minutes", "3 h 05". */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS)
  if (minutes < 1) return 'moins d’une minute'
  if (minutes < 120) return `${minutes} minute${minutes > 1 ? 's' : ''}`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`
}
