import { type TestLeaf, TestPki } from '@fulcrum/test-support';
import { afterAll, beforeAll } from 'vitest';

/**
 * A test CA and one ECDSA leaf for `app.example.com`, made before a test file's tests and
 * disposed after them (for tests only: it registers vitest hooks). Read its fields inside tests.
 */
export function pkiForThisFile(): { readonly pki: TestPki; readonly leaf: TestLeaf } {
  const state = {} as { pki: TestPki; leaf: TestLeaf };
  beforeAll(async () => {
    state.pki = await TestPki.create();
    state.leaf = await state.pki.leaf({ names: ['app.example.com'], ecdsa: true });
  }, 60_000);
  afterAll(() => state.pki?.dispose());
  return state;
}
