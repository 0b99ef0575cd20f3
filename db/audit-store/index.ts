/** The audit log in the database (DESIGN §11): write path, sequencer, checkpoints, export, retention. */
export { appendAuditEvent, auditDetailSchema, AuditWriteError, type AuditDetail, type AuditEventInput } from './write.ts'
export { sequencePending, sequenceAll, readLogHead, TILE_WIDTH, type LogHead } from './sequencer.ts'
export { signCheckpointIfGrown, latestSignedCheckpoint, InconsistentLogError, type LogSigner } from './checkpoints.ts'
export { exportAuditLog, ExportUnavailableError } from './export.ts'
export { purgeExpiredDetails, DEFAULT_RETENTION_MONTHS, MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS } from './purge.ts'
export { ensureAppRole, AppRoleError, AUDIT_TABLES } from './privileges.ts'
export { startAuditLogService, loadAuditSigner, type AuditServiceStatus } from './service.ts'
