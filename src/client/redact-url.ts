/**
 * A Redis URL as logs and error messages may show it: the password (and a lone user part,
 * which ioredis may send as a password) replaced by `***`. Works on text that does not parse
 * as a URL too (`http://:pw@host`, `redis//u:pw@h`), since those are the ones errors quote.
 */
export function redactUrl(text: string): string {
  // Greedy up to the last '@' before the path: an unencoded '@' in a password stays hidden.
  // A password may hold '/' (base64): the user part runs to the last '@' of the token.
  return text.replace(/\/\/(\S*)@/g, (_match, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? '//***@' : `//${userinfo.slice(0, colon)}:***@`;
  });
}
