/** The journal in the database (DESIGN §11): the one write entry point, sequencer, checkpoints, export, retention, console queries. */
export { auditEventSchema, auditDetailSchema, type AuditEvent, type AuditEventType, type AuditContext, type AuditDetail } from './events.ts'
export { recordAudit, AuditWriteError } from './record.ts'
export { sequencePending, sequenceAll, readLogHead, TILE_WIDTH, type LogHead } from './sequencer.ts'
export { signCheckpointIfGrown, latestSignedCheckpoint, InconsistentLogError, type LogSigner } from './checkpoints.ts'
export { exportAuditLog, ExportUnavailableError } from './export.ts'
export { purgeExpiredDetails, DEFAULT_RETENTION_MONTHS, MIN_RETENTION_MONTHS, MAX_RETENTION_MONTHS } from './purge.ts'
export { ensureAppRole, AppRoleError, AUDIT_TABLES } from './privileges.ts'
export { startAuditLogService, loadAuditSigner, registerAuditSigner, getAuditSigner, type AuditServiceStatus } from './service.ts'
