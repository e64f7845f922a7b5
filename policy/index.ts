// The kline-analytics security baseline as a Pulumi CrossGuard policy pack, every policy mandatory:
//   (cd policy && npm ci) && pulumi preview --stack <stack> --policy-pack policy
// The rules themselves are plain functions in ./rules (unit-tested, and run over every stack's
// synth output by tools/policy-check.ts). Never import this file from tests or tools: constructing
// a PolicyPack starts the policy gRPC server and keeps the process alive.
import { PolicyPack, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { fromEngine } from "./engine";
import { BASELINE } from "./rules/baseline";

const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = BASELINE.map((rule) =>
    rule.kind === "resource"
        ? {
              name: rule.name,
              description: rule.description,
              enforcementLevel: "mandatory",
              validateResource: (args, reportViolation) => {
                  for (const message of rule.validate(fromEngine({ ...args, propertyDependencies: {} }))) reportViolation(message);
              },
          }
        : {
              name: rule.name,
              description: rule.description,
              enforcementLevel: "mandatory",
              validateStack: (args, reportViolation) => {
                  for (const v of rule.validate(args.resources.map(fromEngine))) reportViolation(v.message, v.resource.urn);
              },
          },
);

new PolicyPack("kline-baseline", { enforcementLevel: "mandatory", policies });
