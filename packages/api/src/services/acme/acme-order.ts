import * as acme from 'acme-client';
import type { PrismaClient } from '@fulcrum/db';
import { publishAcmeChallenge, waitForDataplanes, withdrawAcmeChallenge } from './acme-challenges';
import { installAcmeHttp, trustDirectoryCa } from './acme-http';

export interface AcmeOrderAccount {
  directoryUrl: string;
  directoryCaPem: string | null;
  accountUrl: string;
  accountKey: string;
}

export interface AcmeOrderOptions {
  /** The whole order (every request, every wait for validation) ends by this; a CA that stalls fails it. */
  deadlineMs?: number;
  /** How long to wait for the data planes to answer a challenge before asking the CA to validate anyway. */
  dataplaneWaitMs?: number;
}

/** What a successful order returns: the chain the CA issued (leaf first) and the key made for it. */
export interface AcmeIssued {
  chain: string;
  key: string;
}

const DEFAULT_DEADLINE_MS = 5 * 60_000;

/**
 * Runs one ACME order for `hosts` with HTTP-01: a new P-256 key and CSR, the challenges published
 * to every data plane (and withdrawn after, valid or not), the CA asked to validate once the data
 * planes answer, then the certificate fetched. acme-client does the protocol; this bounds it in
 * time and keeps each challenge to what a data plane may serve.
 */
export async function runAcmeOrder(prisma: PrismaClient, account: AcmeOrderAccount, hosts: string[], opts: AcmeOrderOptions = {}): Promise<AcmeIssued> {
  installAcmeHttp();
  trustDirectoryCa(account.directoryUrl, account.directoryCaPem);
  const client = new acme.Client({
    directoryUrl: account.directoryUrl,
    accountKey: account.accountKey,
    accountUrl: account.accountUrl,
    backoffAttempts: 10,
    backoffMin: 500,
    backoffMax: 10_000,
  });
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: hosts[0], altNames: hosts }, key);
  const published = new Set<string>();
  let abandoned = false;
  const order = client.auto({
    csr,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // The CA validates through the data planes; a check from here would go wherever this host's DNS points.
    skipChallengeVerification: true,
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      if (abandoned) throw new Error('the order ran out of time');
      if (challenge.type !== 'http-01') throw new Error(`the CA offers no http-01 challenge for this name (only ${challenge.type})`);
      const seq = await publishAcmeChallenge(prisma, { token: challenge.token, keyAuthorization });
      published.add(challenge.token);
      await waitForDataplanes(prisma, seq, opts.dataplaneWaitMs ?? 10_000);
    },
    challengeRemoveFn: async (_authz, challenge) => {
      if (!published.delete(challenge.token)) return;
      await withdrawAcmeChallenge(prisma, challenge.token);
    },
  });
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the CA did not finish the order within ${Math.round(deadlineMs / 1000)} s`)), deadlineMs);
  });
  try {
    const chain = await Promise.race([order, deadline]);
    return { chain, key: key.toString() };
  } finally {
    clearTimeout(timer);
    abandoned = true;
    // An order abandoned at the deadline still holds its challenges: take them off now.
    order.catch(() => {});
    for (const token of published) await withdrawAcmeChallenge(prisma, token).catch(() => {});
  }
}

/** Registers a new account key at the CA (agreeing to its terms) and returns the account URL. */
export async function registerAcmeAccount(account: { directoryUrl: string; directoryCaPem: string | null; email: string; accountKey: string }): Promise<string> {
  installAcmeHttp();
  trustDirectoryCa(account.directoryUrl, account.directoryCaPem);
  const client = new acme.Client({ directoryUrl: account.directoryUrl, accountKey: account.accountKey });
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${account.email}`] });
  return client.getAccountUrl();
}
