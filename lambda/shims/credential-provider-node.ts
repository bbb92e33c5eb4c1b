// Replaces @aws-sdk/credential-provider-node in the handler bundle only (an esbuild alias in
// scripts/bundle-handler.ts). Lambda gives a function its role's credentials in environment variables, so the
// default chain's other sources (SSO, ini files, processes, web identity, IMDS, with their nested STS/SSO clients)
// are dead weight. Same export name and shape: defaultProvider(init) returns a credential provider. (clients.ts gives
// every client its credentials explicitly, so the SDK does not call it; the Image Builder client imports it anyway.)
import { envCredentials } from '../aws-request';

export const defaultProvider = (_init?: unknown) => async () => envCredentials();
