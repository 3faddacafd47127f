// Starts test/support/vendor-idp.ts (the provider shaped like the hosted vendor) in its own process,
// and the system configured to trust it, as the README's external-provider settings say.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Engine } from './databases.ts';
import { freePort, startSystem, type RunningSystem } from './system.ts';

export const VENDOR_AUDIENCE = 'https://api.abc-inc.example/timesheets';

export interface VendorSetup {
  readonly vendorIssuer: string;
  readonly running: RunningSystem;
  stop(): Promise<void>;
}

export async function startWithVendor(engine: Engine, defaultEmail?: string): Promise<VendorSetup> {
  const [vendorPort, port] = await Promise.all([freePort(), freePort()]);
  const vendorIssuer = `http://127.0.0.1:${vendorPort}/`;
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = ['test/support/vendor-idp.ts', String(vendorPort), VENDOR_AUDIENCE, `${baseUrl}/callback`];
  const vendor: ChildProcess = spawn(process.execPath, defaultEmail ? [...args, defaultEmail] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    vendor.stdout!.once('data', () => resolve());
    vendor.once('exit', (code) => reject(new Error(`the vendor provider exited ${code}`)));
  });
  const running = await startSystem(engine, {
    port,
    env: {
      OIDC_ISSUER: vendorIssuer,
      REQUIRE_AT_JWT_TYP: 'false',
      SCOPE_CLAIM: 'permissions',
      SPA_CLIENT_ID: 'vendor-spa',
      AUTH_RESOURCE_PARAMETER: 'audience',
    },
  });
  return {
    vendorIssuer,
    running,
    async stop() {
      await running.stop();
      vendor.kill();
    },
  };
}
