import { describe, expect, it } from 'vitest';
import { subscriptions } from '../../../events/subscriptions.ts';
import { matchesPattern, PatternError } from '../../../rehearsal/event-pattern.ts';

/** Cases from AWS's documentation of event patterns ("Amazon EventBridge event patterns"). */
const event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.123',
    location: { city: 'Seattle', zip: null },
    tags: ['prod', 'web'],
    breakGlass: true,
  },
};

const matches = (pattern: Record<string, unknown>) => matchesPattern(pattern, event);

describe('EventBridge event patterns', () => {
  it('matches exact values, and an array in the event when any element does', () => {
    expect(matches({ source: ['aws.ec2'] })).toBe(true);
    expect(matches({ source: ['aws.s3', 'aws.ec2'] })).toBe(true);
    expect(matches({ source: ['aws.s3'] })).toBe(false);
    expect(matches({ detail: { tags: ['web'] } })).toBe(true);
    expect(matches({ detail: { tags: ['dev'] } })).toBe(false);
    expect(matches({ detail: { breakGlass: [true] } })).toBe(true);
    expect(matches({ detail: { breakGlass: ['true'] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [5] } })).toBe(true);
    expect(matches({ detail: { location: { zip: [null] } } })).toBe(true);
  });

  it('needs every field of the pattern, and a field the event lacks matches nothing but exists: false', () => {
    expect(matches({ source: ['aws.ec2'], detail: { state: ['running'] } })).toBe(false);
    expect(matches({ detail: { missing: ['x'] } })).toBe(false);
    expect(matches({ detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { state: [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  it('prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(matches({ detail: { state: [{ prefix: 'term' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ prefix: { 'equals-ignore-case': 'TERM' } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ suffix: 'ated' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ suffix: 'ing' }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ wildcard: 'ter*ed' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ wildcard: 'ter*ing' }] } })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'a\\*b' }] }, { a: 'a*b' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a\\*b' }] }, { a: 'axb' })).toBe(false);
  });

  it('anything-but a value, a list, a prefix', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': ['running', 'terminated'] }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'term' } }] } })).toBe(false);
    expect(matches({ detail: { 'c-count': [{ 'anything-but': [1, 2] }] } })).toBe(true);
  });

  it('numeric ranges, cidr', () => {
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } })).toBe(true);
    expect(matches({ detail: { 'd-count': [{ numeric: ['<', 3] }] } })).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ numeric: ['=', 301.8] }] } })).toBe(true);
    expect(matches({ detail: { state: [{ numeric: ['>', 0] }] } })).toBe(false);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
  });

  it('$or: any of its patterns', () => {
    expect(matches({ detail: { $or: [{ state: ['running'] }, { 'c-count': [5] }] } })).toBe(true);
    expect(matches({ detail: { $or: [{ state: ['running'] }, { 'c-count': [4] }] } })).toBe(false);
  });

  it('refuses what it does not know rather than guess', () => {
    expect(() => matches({ detail: { state: [{ 'something-new': 'x' }] } })).toThrow(PatternError);
    expect(() => matches({ detail: { state: 'terminated' } })).toThrow(PatternError);
  });

  it("Lambda's filter of the table stream: INSERT records only", () => {
    const filter = { eventName: ['INSERT'] };
    expect(matchesPattern(filter, { eventName: 'INSERT', dynamodb: {} })).toBe(true);
    expect(matchesPattern(filter, { eventName: 'MODIFY', dynamodb: {} })).toBe(false);
    expect(matchesPattern(filter, { eventName: 'REMOVE', dynamodb: {} })).toBe(false);
  });

  it("matches our subscriptions' patterns as the local bus does", () => {
    const breakGlass = subscriptions.find((s) => s.id === 'BreakGlassAlerts')?.pattern;
    const accessed = (breakGlassRead: boolean) => ({
      source: 'urgent-care-plans',
      'detail-type': 'CarePlan.Accessed',
      detail: { breakGlass: breakGlassRead },
    });
    expect(breakGlass && matchesPattern(breakGlass, accessed(true))).toBe(true);
    expect(breakGlass && matchesPattern(breakGlass, accessed(false))).toBe(false);
  });
});
