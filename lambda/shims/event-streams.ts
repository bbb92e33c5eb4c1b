// Replaces @smithy/core/event-streams in the handler bundle only (an esbuild alias in scripts/bundle-handler.ts).
// @smithy/core's HttpProtocol import()s it for event-stream operations only, and Image Builder has none, but esbuild
// bundles the ~20 KB anyway. Same export names; using them fails loudly instead of silently misbehaving.
function unsupported(): never {
  throw new Error('Event streams are not bundled in this handler (lambda/shims/event-streams.ts)');
}

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

export const eventStreamSerdeProvider = (): never => unsupported();
