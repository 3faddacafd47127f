// oidc-provider's persistence contract, on our database: one class per model name.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { OidcPayload, Stores } from '../storage/index.ts';
import { unavailableWhenDown } from './unavailable.ts';

/** Models redeemed once; a second redemption revokes everything issued from the same grant. */
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export function adapterFactory(stores: Stores, reportUnavailable: (cause: unknown) => void) {
  const oidc = unavailableWhenDown(stores.oidc, reportUnavailable);
  const clients = unavailableWhenDown(stores.clients, reportUnavailable);
  return class DatabaseAdapter implements Adapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await oidc.upsert(this.model, id, payload as OidcPayload, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await clients.find(id);
        return client?.metadata as AdapterPayload | undefined;
      }
      return (await oidc.find(this.model, id)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await oidc.findBy(this.model, 'uid', uid)) as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await oidc.findBy(this.model, 'user_code', userCode)) as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      const { result, grantId } = await oidc.consume(this.model, id);
      if (result === 'consumed' || !SINGLE_USE.has(this.model)) return;
      // Lost a race with a concurrent redemption of the same code or token: treat it as reuse.
      if (grantId) await Promise.all([oidc.revokeByGrantId(grantId), oidc.destroy('Grant', grantId)]);
      throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
    }

    async destroy(id: string): Promise<void> {
      await oidc.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await oidc.revokeByGrantId(grantId);
    }
  };
}
