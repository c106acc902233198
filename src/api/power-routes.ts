// REST power control: `POST /api/v1/systems/NAME/power` with {"action": "on|off|reboot|status"} and
// `POST /api/v1/systems/NAME/reinstall`. Both need a token (a power state is not for strangers either); the answer
// is the action's result, with 502 when the BMC failed (the server did its part; the machine's end did not).

import type { Context, Hono } from 'hono';
import type { Access } from '../auth/authenticator.js';
import type { TokenOwner } from '../auth/tokens.js';
import { BootwrightError, invalid, quote } from '../errors.js';
import { readJsonObject } from '../http/request-body.js';
import { type PowerAction, powerActions } from '../power/contract.js';
import type { PowerControl, PowerResult } from '../power/power-control.js';
import type { ApiServices } from './services.js';

export function parsePowerAction(value: unknown): PowerAction {
  if (typeof value === 'string' && (powerActions as readonly string[]).includes(value))
    return value as PowerAction;
  throw invalid(
    `Power action ${quote(value ?? '')} is not one of ${powerActions.join(', ')}; give {"action": "on"}, for example.`,
  );
}

export function requirePower(services: ApiServices): PowerControl {
  if (!services.power) throw new BootwrightError('E_UNAVAILABLE', 'This server has no power control.');
  return services.power;
}

export function registerPowerRoutes(
  api: Hono,
  services: ApiServices,
  allow: (context: Context, access: Access) => Promise<TokenOwner>,
): void {
  const answer = (result: PowerResult) => ({ body: result, status: result.ok ? 200 : 502 }) as const;

  api.post('/systems/:name/power', async (context) => {
    const { action } = await readJsonObject(context);
    const owner = await allow(context, action === 'status' ? 'read' : 'write');
    const { body, status } = answer(
      await requirePower(services).act(context.req.param('name'), parsePowerAction(action), owner.user),
    );
    return context.json(body, status);
  });

  api.post('/systems/:name/reinstall', async (context) => {
    const owner = await allow(context, 'write');
    const { body, status } = answer(
      await requirePower(services).reinstall(context.req.param('name'), owner.user),
    );
    return context.json(body, status);
  });
}
