/**
 * The control API on the bare host (`127.0.0.1:{port}` / `localhost:{port}`): JSON in, JSON out. Each route is a
 * thin adapter over `EmulatorControl`, which the in-process handle uses too.
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.js';
import type { EmulatorContext } from './context.js';
import { isEmulatorControlError } from './errors.js';

/**
 * JSON only. A web page can send a request to 127.0.0.1 without asking the emulator (no CORS preflight) when it is
 * a GET or HEAD, or a POST with a form, text/plain or no Content-Type at all (`fetch(url, { method: 'POST',
 * mode: 'no-cors' })`, a Blob body without a type); it cannot send `application/json`, nor another method,
 * without a preflight, which the emulator never grants. So: a POST must say `application/json` (an empty body then
 * means `{}`), and other methods may carry no body but a JSON one.
 */
function isControlRequestAllowed(request: FastifyRequest): boolean {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) return contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
  if (request.method === 'POST') return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

type Name = { Params: { name: string } };

export function controlRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { control } = ctx;

  app.addHook('onRequest', async (request, reply) => {
    if (!isControlRequestAllowed(request)) {
      return reply.code(415).send({
        error: { code: ErrorCode.EmulatorRequestInvalid, message: 'The control API accepts only application/json bodies (POST must send Content-Type: application/json)' },
      });
    }
    return undefined;
  });
  // An empty JSON body is `{}` (a body-less POST still has to say application/json).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('The body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    if (isEmulatorControlError(error)) {
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message } });
    }
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    return reply.code(status).send({ error: { code: 'RCMK_INTERNAL', message: status < 500 ? (error as Error).message : 'Internal error' } });
  });

  app.get('/_emulator/health', async () => ({ ok: true }));

  app.post('/_emulator/accounts', async (request, reply) => reply.code(201).send(control.createAccount(request.body as never)));

  app.post<Name>('/_emulator/accounts/:name/rename', async (request) =>
    control.renameAccount(request.params.name, (request.body as { name?: unknown } | undefined)?.name as never),
  );

  app.post<Name>('/_emulator/accounts/:name/api-keys', async (request, reply) =>
    reply.code(201).send(control.createApiKey(request.params.name, request.body as never)),
  );

  app.delete<{ Params: { name: string; apiKey: string } }>('/_emulator/accounts/:name/api-keys/:apiKey', async (request, reply) => {
    control.revokeApiKey(request.params.name, request.params.apiKey);
    return reply.code(204).send();
  });

  app.get<Name>('/_emulator/accounts/:name/integration-modules', async (request) => ({
    integrationModules: control.integrationModules(request.params.name),
  }));

  app.post<{ Params: { name: string; code: string } }>(
    '/_emulator/accounts/:name/integration-modules/:code/activity',
    async (request) => {
      const delivery = await control.setActivity(request.params.name, request.params.code, request.body as never);
      return { delivered: delivery.delivered, status: delivery.status, body: delivery.body, ...(delivery.error ? { error: delivery.error } : {}) };
    },
  );

  app.post('/_emulator/marketplace', async (request, reply) => reply.code(201).send(control.publishModule(request.body as never)));

  // Connect on a simple-connection card without a browser: the outcome, and on success where the browser would go.
  app.post<{ Params: { name: string; integrationCode: string } }>(
    '/_emulator/accounts/:name/marketplace/:integrationCode/connect',
    async (request) => control.connectSimple(request.params.name, request.params.integrationCode),
  );

  app.post('/_emulator/faults', async (request, reply) => reply.code(201).send(control.addFault(request.body as never)));
  app.get('/_emulator/faults', async () => ({ faults: control.faults() }));
  app.delete('/_emulator/faults', async (_request, reply) => {
    control.clearFaults();
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>('/_emulator/faults/:id', async (request, reply) => {
    control.removeFault(request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Querystring: { account?: string } }>('/_emulator/requests', async (request) => ({
    requests: control.requests(request.query.account || undefined),
  }));

  app.all('/_emulator/*', async (_request, reply) => reply.code(404).send({ error: { code: 'RCMK_EMULATOR_NOT_FOUND', message: 'No such control endpoint' } }));
}
