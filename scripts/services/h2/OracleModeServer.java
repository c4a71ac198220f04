import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.h2.server.pg.PgServer;

/**
 * TESTS ONLY: H2 in Oracle mode behind its PostgreSQL wire protocol, for the `oracle` and `tibero` test
 * targets (scripts/services/h2.sh starts it; adapter.mjs sits between it and psqlODBC).
 *
 * <p>Usage: {@code java -cp h2.jar:classes OracleModeServer <baseDir> <database> <port>}
 *
 * <ul>
 *   <li>Opens the database itself in Oracle mode and keeps it open, then creates the stand-ins for the
 *       Oracle names H2 lacks (dictionary views, V$VERSION, TO_CLOB, SYS_EXTRACT_UTC).
 *   <li>Serves H2's PostgreSQL protocol with TCP_NODELAY on every accepted socket: H2 writes a message's
 *       type byte and its body separately, and Nagle's algorithm then waits out the client's delayed ACK
 *       (about 40 ms a message on loopback).
 * </ul>
 */
public final class OracleModeServer {
  private OracleModeServer() {}

  private static final class NoDelayServerSocket extends ServerSocket {
    NoDelayServerSocket(int port) throws IOException {
      setReuseAddress(true);
      bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    @Override
    public Socket accept() throws IOException {
      Socket socket = super.accept();
      socket.setTcpNoDelay(true);
      return socket;
    }
  }

  /** TO_CLOB(text): the text itself (H2 has no TO_CLOB; its CLOB and text concatenate alike). */
  public static String toClob(String value) {
    return value;
  }

  /** SYS_EXTRACT_UTC(timestamp with time zone): the UTC wall clock, as Oracle's. */
  public static LocalDateTime sysExtractUtc(OffsetDateTime value) {
    return value == null ? null : value.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
  }

  /** How long a statement waits for another session's lock: long enough for any test, unlike H2's 1 s. */
  private static final int LOCK_TIMEOUT_MS = 120_000;

  private static final String[] STAND_INS = {
    "CREATE ALIAS IF NOT EXISTS TO_CLOB DETERMINISTIC FOR 'OracleModeServer.toClob'",
    "CREATE ALIAS IF NOT EXISTS SYS_EXTRACT_UTC DETERMINISTIC FOR 'OracleModeServer.sysExtractUtc'",
    // The connecting user's own objects, as Oracle's USER_ views: here, those of the current schema.
    "CREATE OR REPLACE VIEW USER_TABLES AS SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES"
        + " WHERE TABLE_SCHEMA = CURRENT_SCHEMA AND TABLE_TYPE = 'BASE TABLE'",
    // DATA_TYPE as Oracle's dictionary names it (H2 reports it in lower case under DATABASE_TO_LOWER).
    "CREATE OR REPLACE VIEW USER_TAB_COLUMNS AS SELECT TABLE_NAME, COLUMN_NAME,"
        + " CASE UPPER(DATA_TYPE) WHEN 'CHARACTER VARYING' THEN 'VARCHAR2' WHEN 'CHARACTER' THEN 'CHAR'"
        + " WHEN 'CHARACTER LARGE OBJECT' THEN 'CLOB' WHEN 'BINARY LARGE OBJECT' THEN 'BLOB'"
        + " WHEN 'DOUBLE PRECISION' THEN 'BINARY_DOUBLE' WHEN 'REAL' THEN 'BINARY_FLOAT'"
        + " WHEN 'TIMESTAMP' THEN 'TIMESTAMP(' || DATETIME_PRECISION || ')'"
        + " WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP(' || DATETIME_PRECISION || ') WITH TIME ZONE'"
        + " WHEN 'DATE' THEN 'DATE' ELSE 'NUMBER' END AS DATA_TYPE,"
        + " CASE IS_NULLABLE WHEN 'YES' THEN 'Y' ELSE 'N' END AS NULLABLE, ORDINAL_POSITION AS COLUMN_ID"
        + " FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = CURRENT_SCHEMA",
    "CREATE OR REPLACE VIEW USER_CONSTRAINTS AS SELECT CONSTRAINT_NAME, TABLE_NAME,"
        + " CASE CONSTRAINT_TYPE WHEN 'PRIMARY KEY' THEN 'P' WHEN 'UNIQUE' THEN 'U'"
        + " WHEN 'FOREIGN KEY' THEN 'R' ELSE 'C' END AS CONSTRAINT_TYPE"
        + " FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = CURRENT_SCHEMA",
    "CREATE OR REPLACE VIEW USER_INDEXES AS SELECT INDEX_NAME, TABLE_NAME FROM INFORMATION_SCHEMA.INDEXES"
        + " WHERE TABLE_SCHEMA = CURRENT_SCHEMA",
    "CREATE OR REPLACE VIEW USER_CONS_COLUMNS AS SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME,"
        + " ORDINAL_POSITION AS POSITION FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = CURRENT_SCHEMA",
    // One row per fact: BANNER for Oracle's query, NAME/VALUE for Tibero's.
    "CREATE OR REPLACE VIEW V$VERSION AS SELECT * FROM (VALUES"
        + " ('H2 ' || H2VERSION() || ' in Oracle mode', 'PRODUCT_MAJOR', '7'),"
        + " ('H2 ' || H2VERSION() || ' in Oracle mode', 'PRODUCT_MINOR', '2'),"
        + " ('H2 ' || H2VERSION() || ' in Oracle mode', 'STABLE_VERSION', 'H2 ' || H2VERSION()))"
        + " AS v(banner, name, value)",
  };

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: OracleModeServer <baseDir> <database> <port>");
      System.exit(2);
    }
    String baseDir = args[0];
    String database = args[1];
    int port = Integer.parseInt(args[2]);

    // Kept open for the server's life, opened as H2's pg server opens a database (PostgreSQL mode gives it
    // its pg_catalog; DATABASE_TO_LOWER: unquoted names fold to lower case here, where Oracle folds them
    // to upper), then switched to Oracle mode.
    Connection keeper =
        DriverManager.getConnection(
            "jdbc:h2:file:" + baseDir + "/" + database + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH",
            "sa",
            "sa");
    try (Statement statement = keeper.createStatement()) {
      statement.execute("SET MODE Oracle");
      // Oracle waits for a row lock until it is released; H2 gives up after 1 s by default (HYT00).
      statement.execute("SET DEFAULT_LOCK_TIMEOUT " + LOCK_TIMEOUT_MS);
      statement.execute("SET NON_KEYWORDS VALUE");
      for (String sql : STAND_INS) statement.execute(sql);
    } catch (SQLException error) {
      System.err.println("stand-ins: " + error.getMessage());
      System.exit(1);
    }

    PgServer server = new PgServer();
    server.init("-pgPort", String.valueOf(port), "-baseDir", baseDir, "-ifExists");
    server.start();
    // PgServer binds its own socket in start(); listen() accepts on whatever its field holds.
    Field socketField = PgServer.class.getDeclaredField("serverSocket");
    socketField.setAccessible(true);
    ((ServerSocket) socketField.get(server)).close();
    socketField.set(server, new NoDelayServerSocket(port));
    System.out.println("OracleModeServer: listening on 127.0.0.1:" + port + " (database " + database + ")");
    System.out.flush();
    server.listen();
  }
}
