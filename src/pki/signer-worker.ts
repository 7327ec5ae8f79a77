/**
 * A signing thread of the SignerPool: holds the CA key and the leaf template, builds and signs the leaves it
 * is sent. Loaded from dist/ as JavaScript and from src/ under tsx (the thread inherits `--import tsx`).
 */
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { LeafTemplate, type LeafFields } from './leaf.js';
import { PkiError } from './errors.js';
import { compact, type SignerJob, type SignerReply, type SignerWorkerData } from './signer-pool.js';

const data = workerData as SignerWorkerData;
const template = new LeafTemplate({
  issuerNameDer: data.issuerNameDer,
  issuerCommonName: data.issuerCommonName,
  authorityKeyId: data.authorityKeyId,
  signingKey: createPrivateKey({ key: Buffer.from(data.keyPkcs8Der), format: 'der', type: 'pkcs8' }),
});

parentPort!.on('message', (job: SignerJob) => {
  const leaves: SignerReply['leaves'] = job.fields.map((f: LeafFields) => {
    try {
      const leaf = template.build(f);
      return { ...leaf, der: compact(leaf.der) as Buffer };
    } catch (err) {
      return { error: (err as Error).message, refused: err instanceof PkiError };
    }
  });
  const reply: SignerReply = { id: job.id, leaves };
  parentPort!.postMessage(reply);
});
