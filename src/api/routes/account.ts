// Who the API thinks the caller is, and the project list entries refer to.
import type { FastifyInstance } from 'fastify';
import type { Stores } from '../../storage/index.ts';
import { guarded, personOf } from '../guard.ts';
import { Me, ProjectList } from '../schemas.ts';

export async function accountRoutes(app: FastifyInstance, { stores }: { stores: Stores }) {
  const anyUser = guarded(null);
  app.get('/me', {
    config: anyUser.config,
    schema: { tags: ['Account'], summary: 'Who the API thinks the caller is', security: anyUser.security, response: { 200: Me } },
    handler: async (request) => {
      const person = personOf(request);
      return {
        sub: person.sub,
        email: person.email,
        name: person.name,
        kind: person.kind,
        roles: person.roles,
        scopes: [...request.caller!.scopes].sort(),
        client_id: request.caller!.clientId,
      };
    },
  });

  const read = guarded('read:timesheets');
  app.get('/projects', {
    config: read.config,
    schema: { tags: ['Projects'], summary: 'The projects entries can be logged against', security: read.security, response: { 200: ProjectList } },
    handler: async () => ({ items: await stores.projects.list() }),
  });
}
