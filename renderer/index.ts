// The offline renderer: the program run under recording Pulumi mocks (render.ts, mocks.ts), with
// the SDK internals it needs in one place (sdk.ts). synth, the policy check, the benchmarks, the
// verifier and the tests all go through this module.
export * from "./render";
export * from "./mocks";
