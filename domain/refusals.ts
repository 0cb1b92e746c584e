/** Why the domain said no. Each maps to one HTTP status at the edge. */
export type Refusal =
  | { kind: 'Forbidden'; reason: string }
  | { kind: 'NotFound'; reason: string }
  | { kind: 'PlanStateConflict'; reason: string }
  /** The change was based on a revision that is no longer the newest (null: there is nothing to change yet). */
  | { kind: 'RevisionConflict'; reason: string; currentRevision: number | null }
  /** A change to something that exists must say which revision it was based on. */
  | { kind: 'RevisionRequired'; reason: string }
  | { kind: 'InvalidCommand'; reason: string };

export const forbidden = (reason: string): Refusal => ({ kind: 'Forbidden', reason });
export const notFound = (reason: string): Refusal => ({ kind: 'NotFound', reason });
export const stateConflict = (reason: string): Refusal => ({ kind: 'PlanStateConflict', reason });
export const invalidCommand = (reason: string): Refusal => ({ kind: 'InvalidCommand', reason });
