// TESTS ONLY: sits between psqlODBC and H2's PostgreSQL protocol (OracleModeServer.java), so that every
// connection speaks Oracle mode. Started by scripts/services/h2.sh:
//
//   node adapter.mjs <listen port> <H2 port>
//
// What it does, and why:
// - psqlODBC's first statement, `SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation`,
//   is a syntax error in H2: the adapter answers it itself.
// - H2 sets MODE=PostgreSQL for every new pg connection, and H2's mode belongs to the whole database, not the
//   session. So a connection opening flips every other connection out of Oracle mode until it runs
//   `SET MODE Oracle`. The adapter runs that (and `SET NON_KEYWORDS VALUE`: VALUE is a column of Oracle's
//   dictionary and a keyword in H2) in place of psqlODBC's first statement, and holds a connection's opening
//   as a writer's turn: it starts only when no statement is in flight on any other connection, and no
//   statement starts until it is done (a readers-writer gate; statements are the readers).
// - psqlODBC's `set client_encoding to 'UTF8'` (H2 runs a PostgreSQL-mode-only no-op for it) is answered by
//   the adapter too: H2's pg server speaks UTF-8 only. Its `SET statement_timeout = <ms>` (the ODBC query
//   timeout) becomes H2's own `SET QUERY_TIMEOUT <ms>`.
// - psqlODBC frees a prepared statement with `DEALLOCATE "<name>"` (inside a transaction wrapped as
//   `SAVEPOINT _per_query_svp_;DEALLOCATE "<name>";RELEASE _per_query_svp_`). In H2 DEALLOCATE commits the
//   open transaction, so a later ROLLBACK would undo nothing: the adapter closes the statement with the
//   protocol's own Close message instead, and answers the query as the server would have.
// - Result descriptions go to psqlODBC without their source table: given one, psqlODBC asks pg_catalog
//   about that table's columns with PostgreSQL-mode-only functions, which fail in Oracle mode (and an
//   error inside a transaction would be taken for the statement's).
// - H2 describes every text column without a type modifier: psqlODBC then takes a VARCHAR for 255
//   characters, and the `odbc` package, sizing its buffer from that, cuts longer values short without an
//   error. The adapter fills in the modifier from the type size H2 does send (a VARCHAR's length + 10, at
//   least 255; a CHAR's length + 4, which is PostgreSQL's own modifier).
// - H2 counts a VARCHAR's length in UTF-16 units, Oracle's `VARCHAR2(n CHAR)` (AL32UTF8) in characters: an
//   emoji takes two of H2's. Such a length is doubled in every statement forwarded, so that n characters
//   always fit; the app's own checks hold texts to n characters (docs/databases-and-tibero.md).
// - SSL and GSS encryption requests are refused, as a server without them would.
// - Binds Oracle refuses and H2 accepts are refused as Oracle would (oracle-rules.mjs): the adapter keeps
//   each prepared statement's SQL and H2's description of its parameters to judge the Bind that follows.
//   `ALTER SESSION SET NLS_…` (Oracle's session formats, which H2 lacks) is answered without effect.
// - A statement on a session H2 has ended (ABORT_SESSION, a closed database) fails with H2's own codes
//   (90067, 90098, 90121), where a driver reports a lost connection: they reach psqlODBC as SQLSTATE
//   08006 (connection_failure), so the client drops the connection as it would a lost one.
import net from 'node:net';
import { readBind, readParameterTypes, readParse, refusal } from './oracle-rules.mjs';

const [listenPort, h2Port] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || !Number.isInteger(h2Port)) {
  console.error('usage: node adapter.mjs <listen port> <H2 port>');
  process.exit(2);
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SESSION_SETUP = ['SET MODE Oracle', 'SET NON_KEYWORDS VALUE'];

/** Statements (readers) run together; a connection opening (the writer) runs alone. */
class Gate {
  readers = 0;
  writer = false;
  waiting = [];

  enterReader() {
    if (!this.writer) {
      this.readers += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ kind: 'reader', resolve }));
  }

  leaveReader() {
    this.readers -= 1;
    this.wake();
  }

  enterWriter() {
    if (!this.writer && this.readers === 0) {
      this.writer = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ kind: 'writer', resolve }));
  }

  leaveWriter() {
    this.writer = false;
    this.wake();
  }

  // Readers never wait behind a waiting writer: a statement may need a lock that another connection's
  // open transaction releases only with its next statement.
  wake() {
    if (this.writer) return;
    const readers = this.waiting.filter((entry) => entry.kind === 'reader');
    this.waiting = this.waiting.filter((entry) => entry.kind !== 'reader');
    for (const entry of readers) {
      this.readers += 1;
      entry.resolve();
    }
    if (this.readers === 0) {
      const index = this.waiting.findIndex((entry) => entry.kind === 'writer');
      if (index >= 0) {
        const [entry] = this.waiting.splice(index, 1);
        this.writer = true;
        entry.resolve();
      }
    }
  }
}

const gate = new Gate();

function message(type, body) {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstring = (text) => Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
const commandComplete = (tag) => message('C', cstring(tag));
const readyForQuery = (status = 'I') => message('Z', Buffer.from(status));
const errorResponse = ({ code, message: text }) =>
  message('E', Buffer.concat([cstring('SERROR'), cstring('VERROR'), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0])]));

function oneTextRow(column, value) {
  const field = Buffer.alloc(18);
  field.writeInt32BE(0, 0); // table oid
  field.writeInt16BE(0, 4); // column number
  field.writeInt32BE(25, 6); // type oid: text
  field.writeInt16BE(-1, 10); // type size
  field.writeInt32BE(-1, 12); // type modifier
  field.writeInt16BE(0, 16); // text format
  const count = Buffer.alloc(2);
  count.writeInt16BE(1);
  const text = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(4);
  length.writeInt32BE(text.length);
  return Buffer.concat([message('T', Buffer.concat([count, cstring(column), field])), message('D', Buffer.concat([count, length, text]))]);
}

/** psqlODBC's connect statement, answered as PostgreSQL would. */
const CONNECT_ANSWER = Buffer.concat([
  commandComplete('SET'),
  commandComplete('SET'),
  oneTextRow('transaction_isolation', 'read committed'),
  commandComplete('SHOW'),
  readyForQuery(),
]);

const inUtf16Units = (sql) => sql.replace(/\bVARCHAR2\s*\(\s*(\d+)\s+CHAR\s*\)/gi, (_, length) => `VARCHAR2(${2 * Number(length)} CHAR)`);

/** A Query ('Q') or Parse ('P') message with its SQL text's character lengths counted as H2 counts them. */
function withUtf16Lengths(type, whole) {
  // Parse: a statement name before the SQL text, the parameter types after it.
  const start = type === 'P' ? whole.indexOf(0, 5) + 1 : 5;
  const end = whole.indexOf(0, start);
  const sql = whole.subarray(start, end).toString('utf8');
  const widened = inUtf16Units(sql);
  if (widened === sql) return whole;
  return message(type, Buffer.concat([whole.subarray(5, start), cstring(widened), whole.subarray(end + 1)]));
}

const BPCHAR = 1042;
const VARCHAR = 1043;

/** A RowDescription without source tables (table oid and column number zeroed), text lengths filled in. */
function describedForPsqlodbc(whole) {
  const out = Buffer.from(whole);
  let offset = 7;
  for (let field = out.readInt16BE(5); field > 0; field -= 1) {
    offset = out.indexOf(0, offset) + 1;
    out.writeInt32BE(0, offset);
    out.writeInt16BE(0, offset + 4);
    const type = out.readInt32BE(offset + 6);
    // A size past 32,767 (a longer or unbounded VARCHAR) wraps in its 16 bits: left unknown.
    const size = out.readInt16BE(offset + 10);
    if ((type === VARCHAR || type === BPCHAR) && size > 4 && out.readInt32BE(offset + 12) === -1) out.writeInt32BE(size, offset + 12);
    offset += 18;
  }
  return out;
}

const SESSION_GONE = new Set(['90067', '90098', '90121']);

/** An ErrorResponse whose SQLSTATE (field C) is one of H2's session-gone codes, with 08006 instead. */
function withConnectionFailure(whole) {
  for (let offset = 5; offset < whole.length && whole[offset] !== 0;) {
    const end = whole.indexOf(0, offset + 1);
    if (whole[offset] === 0x43 && SESSION_GONE.has(whole.toString('latin1', offset + 1, end))) {
      const out = Buffer.from(whole);
      out.write('08006', offset + 1, 'latin1');
      return out;
    }
    offset = end + 1;
  }
  return whole;
}

/** Splits a byte stream into protocol messages: `untyped` for the startup phase (length first). */
function messageReader(onMessage) {
  let buffer = Buffer.alloc(0);
  return {
    untyped: true,
    push(chunk) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const offset = this.untyped ? 0 : 1;
        if (buffer.length < offset + 4) return;
        const length = offset + buffer.readInt32BE(offset);
        if (buffer.length < length) return;
        const whole = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        onMessage(whole);
      }
    },
  };
}

function serve(client) {
  client.setNoDelay(true);
  let server = null;
  let phase = 'startup'; // startup → opening (writer's turn) → ready
  let holdsWriter = false;
  let inFlight = false; // holds a reader's turn
  let unsynced = false; // extended-protocol messages sent since the last Sync
  let awaitingReady = 0; // ReadyForQuery messages the server still owes
  let swallowing = 0; // ReadyForQuery messages of our own set-up still to swallow
  let closeAnswer = null; // what to tell the client when H2 confirms a DEALLOCATE done as Close
  const statements = new Map(); // prepared statement name → { sql, types }, types as H2 describes them
  let describing = []; // statement names whose ParameterDescription H2 still owes
  let refused = null; // the ErrorResponse for a refused Bind, sent just before the ReadyForQuery of its Sync
  let discarding = false; // after a refused Bind, the client's messages up to its Sync are dropped, as a server would
  let transactionStatus = 'I';
  let queue = Promise.resolve();
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    server?.destroy();
    if (holdsWriter) {
      holdsWriter = false;
      gate.leaveWriter();
    }
    if (inFlight) {
      inFlight = false;
      gate.leaveReader();
    }
  };
  client.on('error', close);
  client.on('close', close);

  const fromServer = messageReader((whole) => {
    const type = String.fromCharCode(whole[0]);
    if (swallowing > 0) {
      if (type === 'E') console.error(`adapter: session set-up failed: ${whole.subarray(5).toString('utf8')}`);
      if (type === 'Z' && --swallowing === 0) {
        client.write(CONNECT_ANSWER);
        phase = 'ready';
        holdsWriter = false;
        gate.leaveWriter();
      }
      return;
    }
    if (type === '3' && closeAnswer) {
      client.write(closeAnswer);
      closeAnswer = null;
      return;
    }
    if (type === 't') {
      const described = statements.get(describing.shift());
      if (described) described.types = readParameterTypes(whole);
    }
    if (type === 'Z') {
      describing = [];
      transactionStatus = String.fromCharCode(whole[5]);
      if (refused) client.write(refused);
      refused = null;
    }
    client.write(type === 'T' ? describedForPsqlodbc(whole) : type === 'E' ? withConnectionFailure(whole) : whole);
    if (type === 'Z' && phase === 'ready') {
      awaitingReady = Math.max(0, awaitingReady - 1);
      if (inFlight && awaitingReady === 0 && !unsynced) {
        inFlight = false;
        gate.leaveReader();
      }
    }
  });
  fromServer.untyped = false;

  const connectServer = () => {
    server = net.connect(h2Port, '127.0.0.1');
    server.setNoDelay(true);
    server.on('data', (chunk) => fromServer.push(chunk));
    server.on('error', close);
    server.on('close', close);
  };

  const handle = async (whole) => {
    if (closed) return;
    if (phase === 'startup') {
      const code = whole.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        client.write('N');
        return;
      }
      if (code === CANCEL_REQUEST) {
        const cancel = net.connect(h2Port, '127.0.0.1', () => cancel.end(whole));
        cancel.on('error', () => cancel.destroy());
        return;
      }
      await gate.enterWriter();
      holdsWriter = true;
      if (closed) return close();
      phase = 'opening';
      reader.untyped = false;
      connectServer();
      server.write(whole);
      return;
    }
    const type = String.fromCharCode(whole[0]);
    if (phase === 'opening') {
      if (type === 'Q' && /^SET DateStyle/i.test(whole.subarray(5, whole.length - 1).toString('utf8'))) {
        swallowing = SESSION_SETUP.length;
        for (const sql of SESSION_SETUP) server.write(message('Q', cstring(sql)));
      } else {
        server.write(whole); // authentication
      }
      return;
    }
    const sql = type === 'Q' ? whole.subarray(5, whole.length - 1).toString('utf8') : '';
    if (/^set client_encoding to /i.test(sql)) {
      client.write(Buffer.concat([commandComplete('SET'), readyForQuery(transactionStatus)]));
      return;
    }
    if (/^ALTER SESSION SET NLS_\w+ = '[^']*'(?:\s+NLS_\w+ = '[^']*')*$/i.test(sql)) {
      client.write(Buffer.concat([commandComplete('ALTER SESSION'), readyForQuery(transactionStatus)]));
      return;
    }
    trackStatements(type, whole);
    const timeout = /^SET statement_timeout = (\d+)$/i.exec(sql);
    if (timeout) whole = message('Q', cstring(`SET QUERY_TIMEOUT ${timeout[1]}`));
    const deallocate = /^(?:SAVEPOINT \w+;)?DEALLOCATE "([^"]+)"(?:;RELEASE \w+)?$/.exec(sql);
    if (deallocate) {
      statements.delete(deallocate[1]);
      closeAnswer = Buffer.concat(sql.split(';').map((statement) => commandComplete(statement.split(' ')[0].toUpperCase())));
      whole = Buffer.concat([message('C', Buffer.concat([Buffer.from('S'), cstring(deallocate[1])])), message('S', Buffer.alloc(0))]);
    }
    if (type === 'Q' || type === 'P') whole = withUtf16Lengths(type, whole);
    if (type === 'X') {
      server.write(whole);
      return;
    }
    if (!inFlight) {
      await gate.enterReader();
      inFlight = true;
      if (closed) return close();
    }
    if (type === 'Q' || type === 'S') {
      awaitingReady += 1;
      unsynced = false;
    } else {
      unsynced = true;
    }
    if (type === 'B' && !discarding) {
      const { statement, values } = readBind(whole);
      const reason = statements.has(statement) ? refusal(statements.get(statement), values) : null;
      if (reason) {
        refused = errorResponse(reason);
        discarding = true;
      }
    }
    if (type === 'S') discarding = false;
    else if (discarding) return;
    server.write(whole);
  };

  // Prepared statements by name: their SQL from Parse, their parameter types once H2 has described them.
  const trackStatements = (type, whole) => {
    const target = type === 'D' || type === 'C' ? String.fromCharCode(whole[5]) : '';
    const name = target ? whole.toString('utf8', 6, whole.indexOf(0, 6)) : '';
    if (type === 'P') {
      const { name: parsed, sql, types } = readParse(whole);
      statements.set(parsed, { sql, types });
    } else if (type === 'D' && target === 'S') {
      describing.push(name);
    } else if (type === 'C' && target === 'S') {
      statements.delete(name);
    }
  };

  const reader = messageReader((whole) => {
    queue = queue.then(() => handle(whole)).catch(close);
  });
  client.on('data', (chunk) => reader.push(chunk));
}

net
  .createServer(serve)
  .listen(listenPort, '127.0.0.1', () => console.log(`adapter: listening on 127.0.0.1:${listenPort}, H2 at 127.0.0.1:${h2Port}`))
  .on('error', (error) => {
    console.error(`adapter: ${error.message}`);
    process.exit(1);
  });
