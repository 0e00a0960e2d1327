import type { Diagnostic } from '../core/errors.js';
import type { ImportPlan } from '../core/import-plan.js';

/**
 * Importers put every located problem in `plan.warnings`, tagged with a severity. A plan with any 'error' must
 * not be applied: `planErrors` tells. Problems that make the whole file unreadable (not a package, unclosed
 * quote, corrupt SQLite) are thrown as RecallError instead, so a caller never gets a half-read plan.
 */
export type Severity = 'error' | 'warning';
export interface ImportDiagnostic extends Diagnostic {
  severity: Severity;
}

export function diag(severity: Severity, file: string, line: number, message: string, hint?: string): ImportDiagnostic {
  return hint === undefined ? { severity, file, line, message } : { severity, file, line, message, hint };
}

/** The error-severity diagnostics of a plan; non-empty means the plan must not be applied. */
export function planErrors(plan: ImportPlan): ImportDiagnostic[] {
  return plan.warnings.filter((d): d is ImportDiagnostic => (d as Partial<ImportDiagnostic>).severity === 'error');
}
