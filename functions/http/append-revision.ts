import type { PlanCommandName } from '../../domain/actions.ts';
import { actorRef, onBehalfOf } from '../../domain/actor.ts';
import type { DomainEvent } from '../../domain/events.ts';
import { type CommandContext, versionPublishedBy } from '../../domain/lifecycle.ts';
import type { Plan } from '../../domain/plan.ts';
import { type Plans, PlanTooLarge } from '../platform/ports.ts';
import { HttpProblem } from '../platform/problem.ts';

/**
 * Appends revision n+1, the one conditional put of a plan command, recording who wrote it (and
 * for a carer, for whom and under which grant). Throws `PlanRevisionConflict` when another writer
 * won the race; a plan too large to store is a 413.
 */
export const appendRevision = async (
  { plans }: { plans: Pick<Plans, 'append'> },
  command: PlanCommandName,
  ctx: CommandContext,
  outcome: { value: Plan; events: DomainEvent[] },
): Promise<void> => {
  const publishedVersion = versionPublishedBy(command, outcome.value);
  try {
    await plans.append({
      plan: outcome.value,
      command,
      by: actorRef(ctx.actor),
      at: ctx.now,
      events: outcome.events,
      ...(publishedVersion !== undefined && { publishedVersion }),
      ...onBehalfOf(ctx.actor),
    });
  } catch (error) {
    if (error instanceof PlanTooLarge) throw new HttpProblem(413, 'Content Too Large', error.message);
    throw error;
  }
};
