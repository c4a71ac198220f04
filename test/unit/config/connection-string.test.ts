import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConnectionString, redactConnectionString, scrubSecrets, secretValues } from '../../../src/config/connection-string';

describe('parseConnectionString', () => {
  it('plain KEY=value pairs are split on ; with surrounding spaces trimmed and a trailing ; ignored', () => {
    assert.deepEqual(parseConnectionString(' Server = db.local ; Port=5432;UID=app;'), [
      { key: 'Server', value: 'db.local', braced: false },
      { key: 'Port', value: '5432', braced: false },
      { key: 'UID', value: 'app', braced: false },
    ]);
  });

  it('a braced value may contain ; and = and is read whole', () => {
    assert.deepEqual(parseConnectionString('Driver={PostgreSQL Unicode};PWD={a;b=c};UID=app'), [
      { key: 'Driver', value: 'PostgreSQL Unicode', braced: true },
      { key: 'PWD', value: 'a;b=c', braced: true },
      { key: 'UID', value: 'app', braced: false },
    ]);
  });

  it('a doubled }} inside braces is one literal }', () => {
    assert.deepEqual(parseConnectionString('PWD={a;b}}c};UID=app'), [
      { key: 'PWD', value: 'a;b}c', braced: true },
      { key: 'UID', value: 'app', braced: false },
    ]);
    assert.deepEqual(parseConnectionString('PWD={}}}}}'), [{ key: 'PWD', value: '}}', braced: true }]);
  });

  it('a braced value at the very end, without a closing ;, is read', () => {
    assert.deepEqual(parseConnectionString('UID=app;PWD={x;y}'), [
      { key: 'UID', value: 'app', braced: false },
      { key: 'PWD', value: 'x;y', braced: true },
    ]);
  });

  it('an empty string has no attributes and a lone keyword has an empty value', () => {
    assert.deepEqual(parseConnectionString(''), []);
    assert.deepEqual(parseConnectionString('DSN=prod;Trusted'), [
      { key: 'DSN', value: 'prod', braced: false },
      { key: 'Trusted', value: '', braced: false },
    ]);
  });
});

describe('redactConnectionString', () => {
  it('PWD, Password and pwd values are replaced and every other value is kept', () => {
    assert.equal(
      redactConnectionString('Driver={PostgreSQL Unicode};Server=db;Port=5432;UID=app;PWD=hunter2'),
      'Driver={PostgreSQL Unicode};Server=db;Port=5432;UID=app;PWD=*****',
    );
    assert.equal(redactConnectionString('Server=db;Password=hunter2;Database=ai'), 'Server=db;Password=*****;Database=ai');
    assert.equal(redactConnectionString('Server=db;pwd=hunter2'), 'Server=db;pwd=*****');
  });

  it('a braced password containing ; and a doubled }} is hidden whole', () => {
    const redacted = redactConnectionString('Driver={Tibero 7 ODBC Driver};UID=app;PWD={a;b}}c};Server=db');
    assert.equal(redacted, 'Driver={Tibero 7 ODBC Driver};UID=app;PWD=*****;Server=db');
    for (const fragment of ['a;b', 'b}', '}c', 'c}']) assert.ok(!redacted.includes(fragment), `${fragment} leaked: ${redacted}`);
  });

  it('other secret-looking keys (Secret, AccessToken, ApiKey) are hidden too', () => {
    assert.equal(
      redactConnectionString('ClientSecret=s1;AccessToken=t1;ApiKey=k1;API_KEY=k2;Passwd=p1'),
      'ClientSecret=*****;AccessToken=*****;ApiKey=*****;API_KEY=*****;Passwd=*****',
    );
  });

  it('braced values stay braced and a } inside them stays doubled', () => {
    assert.equal(redactConnectionString('Driver={PostgreSQL Unicode};Options={-c x=}}1}'), 'Driver={PostgreSQL Unicode};Options={-c x=}}1}');
  });

  it('the result parses back to the same non-secret attributes', () => {
    const original = 'Driver={MariaDB ODBC 3.1 Driver};Server=db;UID=app;PWD={p;w}};Option={a;b}';
    const redacted = redactConnectionString(original);
    const keep = (text: string) =>
      parseConnectionString(text)
        .filter(({ key }) => key !== 'PWD')
        .map(({ key, value }) => [key, value]);
    assert.deepEqual(keep(redacted), keep(original));
  });
});

describe('secretValues', () => {
  it('returns the parsed secret values (braces and doubled }} resolved), skipping empty ones', () => {
    assert.deepEqual(secretValues('UID=app;PWD={a;b}}c};Server=db;Password=;ApiKey=k-1'), ['a;b}c', 'k-1']);
  });

  it('returns nothing for a connection string without secrets', () => {
    assert.deepEqual(secretValues('Driver={SQLite3};Database=/data/aimodel.sqlite'), []);
  });
});

describe('scrubSecrets', () => {
  it('removes every occurrence of the secret in a driver message', () => {
    const secrets = secretValues('Driver={PostgreSQL Unicode};UID=app;PWD=hunter2');
    const message = 'FATAL: password authentication failed (PWD=hunter2); retried with hunter2; hunter2hunter2';
    const scrubbed = scrubSecrets(message, secrets);
    assert.ok(!scrubbed.includes('hunter2'), scrubbed);
    assert.equal(scrubbed, 'FATAL: password authentication failed (PWD=*****); retried with *****; **********');
  });

  it('scrubs several secrets, including ones with characters that are special in regular expressions', () => {
    const secrets = ['a.b*c', 'x$1(y)'];
    assert.equal(scrubSecrets('bad a.b*c and x$1(y) but not aXbbc', secrets), 'bad ***** and ***** but not aXbbc');
  });

  it('leaves the text unchanged when there are no secrets', () => {
    assert.equal(scrubSecrets('connection refused', []), 'connection refused');
  });
});

describe('redactConnectionString with blanks before a braced password', () => {
  it('hides the whole braced value even when a blank follows the equals sign', () => {
    const redacted = redactConnectionString('Driver={X};PWD= {a;b}}c};UID=x');
    assert.ok(!redacted.includes('a;b'), redacted);
    assert.ok(!redacted.includes('b}c'), redacted);
    assert.ok(redacted.includes('UID=x'), redacted);
  });
});
