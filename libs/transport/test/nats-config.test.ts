// Where NATS is and which credentials reach it: flags over the environment over URL userinfo,
// and passwords never shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { natsConfig } from '../src/nats-config.js';

test('defaults to the local NATS without credentials', () => {
  assert.deepEqual(natsConfig({}, {}), { server: '127.0.0.1:4222', shown: 'nats://127.0.0.1:4222', user: undefined, pass: undefined, token: undefined });
});

test('user and password from the URL, shown without them', () => {
  const c = natsConfig({ url: 'nats://alice:s%40cret@nats.example:4333' }, {});
  assert.equal(c.server, 'nats.example:4333');
  assert.equal(c.shown, 'nats://nats.example:4333');
  assert.equal(c.user, 'alice');
  assert.equal(c.pass, 's@cret');
});

test('the environment gives the URL and overrides its userinfo; flags override the environment', () => {
  const env = { FERRY_NATS_URL: 'nats://bob:old@10.0.0.1:4222', FERRY_NATS_PASSWORD: 'new' };
  assert.deepEqual([natsConfig({}, env).user, natsConfig({}, env).pass], ['bob', 'new']);
  const c = natsConfig({ url: 'nats://10.0.0.2', user: 'carol', password: 'pw' }, env);
  assert.deepEqual([c.server, c.user, c.pass], ['10.0.0.2:4222', 'carol', 'pw']);
});

test('a token from the environment or as lone userinfo', () => {
  assert.equal(natsConfig({}, { FERRY_NATS_TOKEN: 't0k' }).token, 't0k');
  assert.equal(natsConfig({ url: 'nats://t1k@127.0.0.1:4222' }, {}).token, 't1k');
});

test('incomplete or contradictory credentials and bad URLs are refused, without the secret', () => {
  assert.throws(() => natsConfig({}, { FERRY_NATS_USER: 'dave' }), /a NATS user \(dave\) needs a password: set FERRY_NATS_PASSWORD/);
  assert.throws(() => natsConfig({}, { FERRY_NATS_USER: 'dave', FERRY_NATS_PASSWORD: 'x', FERRY_NATS_TOKEN: 'y' }), /either a user and password or a token/);
  assert.throws(() => natsConfig({ url: 'http://u:hunter2@host' }, {}), (e: Error) => /not a NATS URL/.test(e.message) && !e.message.includes('hunter2'));
});
