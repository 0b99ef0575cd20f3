import { DEFAULT_ANOMALY_CONFIG, type AnomalyConfig } from './config.ts'
import { sortAccessEvents, type AccessEvent, type Alert, type AnomalyRule } from './engine.ts'
import { DEFAULT_RULES } from './rules.ts'

/** Every rule over the events in log order; newest alerts first. */
export function detectAnomalies({
  events,
  rules = DEFAULT_RULES,
  config = DEFAULT_ANOMALY_CONFIG,
}: {
  events: readonly AccessEvent[]
  rules?: readonly AnomalyRule[]
  config?: AnomalyConfig
}): Alert[] {
  const ordered = sortAccessEvents(events)
  return rules.flatMap((rule) => rule.evaluate({ events: ordered, config })).sort((a, b) => b.lastAtMs - a.lastAtMs)
}
