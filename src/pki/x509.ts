/**
 * The one place that loads @peculiar/x509. The library resolves its algorithm providers through tsyringe,
 * which needs reflect-metadata loaded first, and it must be told to use Node's WebCrypto.
 * Every other module imports `x509` from here, never from '@peculiar/x509' directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509, webcrypto };
