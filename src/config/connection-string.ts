/**
 * ODBC connection strings are `KEY=value;` pairs; a value may be wrapped in braces so it can hold `;`
 * (a `}` inside braces is doubled). We parse rather than regex-replace so a braced password such as
 * `PWD={a;b}}c}` is hidden whole.
 */
const SECRET_KEY = /^(pwd|password|passwd|.*secret.*|.*token.*|.*apikey.*|.*api_key.*)$/i;
const REDACTED = '*****';

export interface ConnectionAttribute {
  key: string;
  value: string;
  /** The value was written in braces (and is written back so). */
  braced: boolean;
}

export function parseConnectionString(connectionString: string): ConnectionAttribute[] {
  const attributes: ConnectionAttribute[] = [];
  let position = 0;
  while (position < connectionString.length) {
    const equals = connectionString.indexOf('=', position);
    if (equals < 0) {
      const rest = connectionString.slice(position).trim();
      if (rest) attributes.push({ key: rest, value: '', braced: false });
      break;
    }
    const key = connectionString.slice(position, equals).trim();
    let cursor = equals + 1;
    // Drivers tolerate blanks before a braced value (`PWD= {a;b}`): skip them, or the braces would be missed.
    while (connectionString[cursor] === ' ' || connectionString[cursor] === '\t') cursor += 1;
    let value = '';
    const braced = connectionString[cursor] === '{';
    if (braced) {
      cursor += 1;
      while (cursor < connectionString.length) {
        const char = connectionString[cursor];
        if (char === '}') {
          if (connectionString[cursor + 1] === '}') {
            value += '}';
            cursor += 2;
            continue;
          }
          cursor += 1;
          break;
        }
        value += char;
        cursor += 1;
      }
      const semicolon = connectionString.indexOf(';', cursor);
      position = semicolon < 0 ? connectionString.length : semicolon + 1;
    } else {
      const semicolon = connectionString.indexOf(';', cursor);
      const end = semicolon < 0 ? connectionString.length : semicolon;
      value = connectionString.slice(cursor, end).trim();
      position = end + 1;
    }
    if (key) attributes.push({ key, value, braced });
  }
  return attributes;
}

/** The connection string with every secret value replaced, safe for logs, errors and responses. */
export function redactConnectionString(connectionString: string): string {
  return parseConnectionString(connectionString)
    .map(({ key, value, braced }) => {
      if (SECRET_KEY.test(key)) return `${key}=${REDACTED}`;
      return `${key}=${braced || /[;{}]/.test(value) ? `{${value.replace(/}/g, '}}')}}` : value}`;
    })
    .join(';');
}

/** The secret values themselves, so free text (a driver's error message) can be scrubbed of them. */
export function secretValues(connectionString: string): string[] {
  return parseConnectionString(connectionString)
    .filter(({ key, value }) => SECRET_KEY.test(key) && value.length > 0)
    .map(({ value }) => value);
}

/** Replaces every occurrence of the given secrets in `text`. Used on driver messages before they travel. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) scrubbed = scrubbed.split(secret).join(REDACTED);
  return scrubbed;
}

/** A URL with any user:password@ part hidden, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//*****@');
}
