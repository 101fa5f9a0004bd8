import { z } from 'zod';
import { ZPoolListItem } from '@fulcrum/protocol';
import type { Command } from '../context';
import { table } from '../format';

const ZPoolList = z.array(ZPoolListItem);

export const poolsList: Command = async ({ api, print }) => {
  const pools = await api.request('GET', '/pools', ZPoolList);
  print(pools, () =>
    pools.length
      ? table(
          ['NAME', 'PROTOCOL', 'LISTEN', 'ALGORITHM', 'BACKENDS', 'VERSION'],
          pools.map((p) => [p.name, p.protocol, p.listenPort === undefined ? '-' : `${p.listenHost}:${p.listenPort}`, p.algorithm, p.backendCount, p.version]),
        )
      : 'no pools',
  );
  return 0;
};
