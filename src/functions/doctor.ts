import { app } from '@azure/functions';
import { runDoctor } from '../admin/doctor';
import { adminAuthLevel, apiHandler, ok } from './http/httpApi';

/**
 * GET /api/doctor (reader): the onboarding checks of `pki-alerts doctor` run by the app itself, with its
 * own identity and network (the admin page's "Check connection"). 200 with the report; `ok` is the verdict.
 * No test card is sent: a GET changes nothing (the CLI's --send-test does that).
 */
export const doctor = apiHandler('reader', async (_request, { services }) =>
  ok(await runDoctor({ env: process.env, services: () => services })),
);

app.http('doctor', { route: 'doctor', methods: ['GET'], authLevel: adminAuthLevel(), handler: doctor });
