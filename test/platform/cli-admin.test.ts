/** Admin commands of `ironbridge`: tenant, keys, user — JSON output, clear failures, non-zero exits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../helpers/server.js';

describe('ironbridge admin commands', () => {
  const dataDir = tempDir();
  const cli = (args: string[], input?: string) => runCli([...args, '--data-dir', dataDir], { input });

  it('tenant create and list', async () => {
    const made = await cli(['tenant', 'create', 'acme', '--company-domain', 'Acme.com', '--json']);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(JSON.parse(made.stdout), { name: 'acme', displayName: 'acme', companyDomain: 'acme.com' });
    const dup = await cli(['tenant', 'create', 'acme', '--company-domain', 'acme.com']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Tenant "acme" already exists/);
    const bad = await cli(['tenant', 'create', 'Bad-Name', '--company-domain', 'acme.com']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Tenant name "Bad-Name" is invalid/);
    const reserved = await cli(['tenant', 'create', 'core', '--company-domain', 'acme.com']);
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /Tenant name "core" is invalid: it is reserved/);
    const badDomain = await cli(['tenant', 'create', 'beta', '--company-domain', 'not a domain']);
    assert.match(badDomain.stderr, /companyDomain/);
    const list = await cli(['tenant', 'list', '--json']);
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((t) => t.name), ['acme'], 'nothing stored for refused names');
  });

  it('keys create prints clientId, clientSecret and tokenUrl once; list never shows secrets', async () => {
    const made = await cli(['keys', 'create', '--tenant', 'acme', '--name', 'mendixapp', '--json']);
    assert.equal(made.code, 0, made.stderr);
    const key = JSON.parse(made.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(key).sort(), ['clientId', 'clientSecret', 'tokenUrl']);
    assert.match(key['tokenUrl']!, /^http:\/\/localhost:8080\/oauth\/token$/);
    const list = await cli(['keys', 'list', '--tenant', 'acme', '--json']);
    assert.ok(!list.stdout.includes(key['clientSecret']!));
    assert.ok(!/secret/i.test(list.stdout));
    const dup = await cli(['keys', 'create', '--tenant', 'acme', '--name', 'mendixapp']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const badScope = await cli(['keys', 'create', '--tenant', 'acme', '--name', 'x', '--scope', 'root.all']);
    assert.match(badScope.stderr, /scope value "root\.all"/);
    const noTenant = await cli(['keys', 'create', '--tenant', 'nosuch', '--name', 'x']);
    assert.match(noTenant.stderr, /Tenant "nosuch" does not exist/);
    const revoke = await cli(['keys', 'revoke', '--tenant', 'acme', '--name', 'nosuch']);
    assert.equal(revoke.code, 1);
    assert.match(revoke.stderr, /No active binding key named "nosuch"/);
  });

  it('user add reads the password from stdin and checks it', async () => {
    const ok = await cli(['user', 'add', '--tenant', 'acme', '--email', 'Ann@Acme.com', '--password-stdin', '--role', 'admin', '--json'], 'correct horse battery\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).email, 'ann@acme.com');
    const short = await cli(['user', 'add', '--tenant', 'acme', '--email', 'bob@acme.com', '--password-stdin'], 'short');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password .*at least 10 characters/);
    const role = await cli(['user', 'add', '--tenant', 'acme', '--email', 'c@acme.com', '--password-stdin', '--role', 'root'], 'long enough pw');
    assert.notEqual(role.code, 0);
    assert.match(role.stderr, /root/);
    const list = await cli(['user', 'list', '--tenant', 'acme', '--json']);
    const users = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(users.map((u) => u['email']), ['ann@acme.com']);
    assert.ok(!list.stdout.includes('scrypt'));
  });

  it('user role, passwd and remove change one user, name what is wrong, and refuse an unknown user', async () => {
    const add = await cli(['user', 'add', '--tenant', 'acme', '--email', 'dora@acme.com', '--password-stdin'], 'first password ok\n');
    assert.equal(add.code, 0, add.stderr);
    const role = await cli(['user', 'role', '--tenant', 'acme', '--email', 'Dora@acme.com', '--role', 'admin', '--json']);
    assert.equal(role.code, 0, role.stderr);
    assert.equal(JSON.parse(role.stdout).role, 'admin');
    const badRole = await cli(['user', 'role', '--tenant', 'acme', '--email', 'dora@acme.com', '--role', 'root']);
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /root/);
    const short = await cli(['user', 'passwd', '--tenant', 'acme', '--email', 'dora@acme.com', '--password-stdin'], 'short');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password .*at least 10 characters/);
    const pw = await cli(['user', 'passwd', '--tenant', 'acme', '--email', 'dora@acme.com', '--password-stdin'], 'second password ok\n');
    assert.equal(pw.code, 0, pw.stderr);
    const unknown = await cli(['user', 'remove', '--tenant', 'acme', '--email', 'nobody@acme.com']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No user nobody@acme\.com in tenant acme/);
    const removed = await cli(['user', 'remove', '--tenant', 'acme', '--email', 'dora@acme.com']);
    assert.equal(removed.code, 0, removed.stderr);
    const list = JSON.parse((await cli(['user', 'list', '--tenant', 'acme', '--json'])).stdout) as { email: string; role: string }[];
    assert.deepEqual(list.map((u) => [u.email, u.role]), [['ann@acme.com', 'admin']]);
  });
});
