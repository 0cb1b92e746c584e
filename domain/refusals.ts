/** Why the domain said no. Each maps to one HTTP status at the edge. */
export type Refusal =
  | { kind: 'Forbidden'; reason: string }
  | { kind: 'NotFound'; reason: string }
  | { kind: 'PlanStateConflict'; reason: string }
  | { kind: 'PlanRevisionConflict'; reason: string; currentRevision: number }
  | { kind: 'InvalidCommand'; reason: string };

export const forbidden = (reason: string): Refusal => ({ kind: 'Forbidden', reason });
export const notFound = (reason: string): Refusal => ({ kind: 'NotFound', reason });
export const stateConflict = (reason: string): Refusal => ({ kind: 'PlanStateConflict', reason });
export const invalidCommand = (reason: string): Refusal => ({ kind: 'InvalidCommand', reason });
