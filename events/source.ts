/** The EventBridge source of every event the service publishes. */
export const eventSource = 'urgent-care-plans';
