/**
 * Bad input to the PKI code (a CSR, a key, a certificate, a name). The message is a human-readable reason
 * meant for the client; the caller turns it into InvalidParameter naming the parameter it came from.
 */
export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}
