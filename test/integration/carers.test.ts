import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorRef } from '../../domain/actor.ts';
import type { CarerGrant } from '../../domain/carers.ts';
import { raise } from '../../domain/events.ts';
import { CarerGrantConflict, GrantAlreadyRevoked } from '../../functions/platform/ports.ts';
import { keys } from '../../functions/platform/table.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { freshNhsNumber } from '../support/fixtures.ts';
import { dynamoStore, type Store } from '../support/store.ts';

let db: TestDynamo;
let store: Store;

beforeAll(async () => {
  db = await startTestDynamo('ucp-carers-test');
  store = dynamoStore(db.doc, db.tableName);
});
afterAll(async () => {
  await db?.close();
});

const patient: ActorRef = { id: 'patient-1', role: 'patient' };
const ctx = { now: '2026-11-21T10:00:00.000Z', newId: () => `evt-${Math.random()}` };
const grantOf = (nhsNumber: string, id: string, carerNhs = '9990000042'): CarerGrant => ({
  id,
  nhsNumber,
  carer: { nhsNumber: carerNhs, name: 'Ruth Byron' },
  relationship: 'daughter',
  legalBasis: 'patient-consent',
  access: 'co-author',
  grantedBy: patient,
  grantedAt: `2026-11-21T10:0${id}:00.000Z`,
});
const granted = (grant: CarerGrant) =>
  raise(
    'Carer.Granted',
    {
      nhsNumber: grant.nhsNumber,
      grantId: grant.id,
      access: grant.access,
      legalBasis: grant.legalBasis,
      until: null,
      grantedBy: grant.grantedBy,
    },
    ctx,
  );

describe('carer grants: inserts only', () => {
  it('puts each grant once, with its event, and lists grants with their revocations in grant order', async () => {
    const nhs = freshNhsNumber();
    const first = grantOf(nhs, '1');
    const second = grantOf(nhs, '2', '9990000050');
    const firstGranted = granted(first);
    await store.carers.grant(first, [firstGranted]);
    await store.carers.grant(second, [granted(second)]);
    const revocation = {
      grantId: '1',
      revokedBy: patient,
      revokedAt: '2026-11-22T10:00:00.000Z',
      reason: 'ended',
    };
    const revoked = raise('Carer.Revoked', { nhsNumber: nhs, grantId: '1', revokedBy: patient }, ctx);
    await store.carers.revoke(nhs, revocation, [revoked]);

    expect(await store.carers.grants(nhs)).toEqual([
      { grant: first, revocation },
      { grant: second, revocation: null },
    ]);
    // The outbox: each item carries its event for the stream to relay.
    const item = async (sk: string) =>
      (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk: keys.patient(nhs), sk } })))
        .Item;
    expect(await item(keys.carerGrant('1'))).toMatchObject({ type: 'carerGrant', events: [firstGranted] });
    expect(await item(keys.carerRevocation('1'))).toMatchObject({
      type: 'carerRevocation',
      events: [revoked],
    });
    expect(await store.carers.grants(freshNhsNumber())).toEqual([]);
  });

  it('a grant number is taken once, and a grant revoked once: the second writer is told', async () => {
    const nhs = freshNhsNumber();
    await store.carers.grant(grantOf(nhs, '1'), []);
    await expect(store.carers.grant(grantOf(nhs, '1', '9990000050'), [])).rejects.toBeInstanceOf(
      CarerGrantConflict,
    );
    const revocation = (reason: string) => ({
      grantId: '1',
      revokedBy: patient,
      revokedAt: '2026-11-22T10:00:00.000Z',
      reason,
    });
    const results = await Promise.allSettled([
      store.carers.revoke(nhs, revocation('first'), []),
      store.carers.revoke(nhs, revocation('second'), []),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(GrantAlreadyRevoked);
    const [record] = await store.carers.grants(nhs);
    expect(['first', 'second']).toContain(record?.revocation?.reason);
  });

  it('grants and revocations are in the access log; a carer ending their own says for whom', async () => {
    const nhs = freshNhsNumber();
    await store.carers.grant(grantOf(nhs, '1'), []);
    const carer: ActorRef = { id: 'carer-ruth', role: 'carer' };
    await store.carers.revoke(
      nhs,
      { grantId: '1', revokedBy: carer, revokedAt: '2026-11-22T10:00:00.000Z', reason: 'moving abroad' },
      [],
      { onBehalfOf: nhs, grantId: '1' },
    );
    const log = await store.audit.accessLog(nhs, { limit: 10 });
    expect(log.items).toEqual([
      {
        at: '2026-11-22T10:00:00.000Z',
        actor: carer,
        action: 'revokeCarer',
        purpose: null,
        breakGlass: false,
        onBehalfOf: nhs,
        grantId: '1',
      },
      {
        at: '2026-11-21T10:01:00.000Z',
        actor: patient,
        action: 'grantCarer',
        purpose: null,
        breakGlass: false,
      },
    ]);
    expect(log.next).toBeUndefined();
  });
});
