// Who you are to the provider (userinfo) and to the API (/api/me): name, email, kind, roles and
// the scopes your token was actually granted.
import { SCOPE_DESCRIPTIONS } from '../../../domain/access.ts';
import type { Me } from '../api/timesheets.ts';
import { Page } from '../ui/Page.tsx';
import { useServices } from '../ui/services.tsx';
import { ErrorState, Loading } from '../ui/states.tsx';
import { useAsync } from '../ui/use-async.ts';

const describeScope = (scope: string): string | undefined => (SCOPE_DESCRIPTIONS as Record<string, string | undefined>)[scope];

const FLOW_NAMES = { pkce: 'Authorization Code with PKCE', implicit: 'Implicit (ID token and access token)' };

export function Profile() {
  const { api, auth } = useServices();
  const profile = useAsync(() => Promise.all([auth.userinfo(), api.me()]), 'profile');

  return (
    <Page title="Profile" subtitle="Your account, as the sign-in service and the Timesheets API see it.">
      {profile.status === 'loading' && <Loading label="Loading your profile…" />}
      {profile.status === 'error' && <ErrorState title="Your profile could not be loaded." error={profile.error} onRetry={profile.reload} />}
      {profile.status === 'ready' && <ProfileCard userinfo={profile.data[0]} me={profile.data[1]} flow={FLOW_NAMES[auth.flow]} />}
    </Page>
  );
}

function ProfileCard({ userinfo, me, flow }: { userinfo: { name?: unknown; email?: unknown }; me: Me; flow: string }) {
  const name = typeof userinfo.name === 'string' ? userinfo.name : me.name;
  const email = typeof userinfo.email === 'string' ? userinfo.email : me.email;
  return (
    <div className="card narrow profile">
      <dl className="details">
        <dt>Name</dt>
        <dd>{name}</dd>
        <dt>Email</dt>
        <dd>{email}</dd>
        <dt>Kind</dt>
        <dd className="capitalize">{me.kind}</dd>
        <dt>Roles</dt>
        <dd>
          <ul className="chips">
            {me.roles.map((role) => (
              <li key={role} className="chip capitalize">
                {role}
              </li>
            ))}
          </ul>
        </dd>
        <dt>Granted scopes</dt>
        <dd>
          <ul className="scope-list">
            {me.scopes.map((scope) => (
              <li key={scope}>
                <code>{scope}</code>
                {describeScope(scope) && <span className="muted"> {describeScope(scope)}</span>}
              </li>
            ))}
          </ul>
        </dd>
        <dt>Signed in with</dt>
        <dd>{flow}</dd>
      </dl>
    </div>
  );
}
