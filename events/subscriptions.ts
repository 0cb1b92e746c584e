import type { EventType } from '../domain/events.ts';
import { eventSource } from './source.ts';

/**
 * Who subscribes to what on the bus: one EventBridge rule per entry in AWS, and the same
 * patterns matched in-process by the local runtime. Patterns use only exact-value matching.
 */
export type Subscription = {
  id: string;
  consumer: 'notifications' | 'auditArchive';
  pattern: { source: [typeof eventSource]; 'detail-type': EventType[]; detail?: Record<string, unknown[]> };
};

export const subscriptions: readonly Subscription[] = [
  {
    id: 'PlanChangeNotifications',
    consumer: 'notifications',
    pattern: {
      source: [eventSource],
      'detail-type': ['CarePlan.Submitted', 'CarePlan.Ratified', 'CarePlan.Returned', 'CarePlan.Withdrawn'],
    },
  },
  {
    id: 'BreakGlassAlerts',
    consumer: 'notifications',
    pattern: { source: [eventSource], 'detail-type': ['CarePlan.Accessed'], detail: { breakGlass: [true] } },
  },
  {
    id: 'CareNetworkNotifications',
    consumer: 'notifications',
    pattern: {
      source: [eventSource],
      'detail-type': ['CareTeam.Joined', 'CareTeam.Left', 'Carer.Granted', 'Carer.Revoked'],
    },
  },
  {
    id: 'RegistryAddressChanges',
    consumer: 'notifications',
    pattern: { source: [eventSource], 'detail-type': ['Organisation.Updated'] },
  },
  {
    id: 'AuditArchive',
    consumer: 'auditArchive',
    pattern: {
      source: [eventSource],
      'detail-type': [
        'Patient.Enrolled',
        'CarePlan.Created',
        'CarePlan.DraftUpdated',
        'CarePlan.Submitted',
        'CarePlan.Ratified',
        'CarePlan.Published',
        'CarePlan.Unpublished',
        'CarePlan.Returned',
        'CarePlan.Withdrawn',
        'Patient.Died',
        'CarePlan.Accessed',
        'Session.Launched',
        'Organisation.Updated',
        'CareTeam.Joined',
        'CareTeam.Left',
        'Carer.Granted',
        'Carer.Revoked',
      ],
    },
  },
];
